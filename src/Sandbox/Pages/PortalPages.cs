using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.OAuth;
using LineBridge.Sandbox.Rest;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static LineBridge.Sandbox.Pages.PageRenderer;

namespace LineBridge.Sandbox.Pages;

/// <summary>
/// The portal's pages: home, the local-application form, the app page framing the app (with the parent side of the
/// BX24 protocol), the Contact Center with connector tiles, and the operators' view of open lines.
/// </summary>
internal static class PortalPages
{
    public static void Map(IEndpointRouteBuilder web, SandboxCore core, OAuthEndpoints oauth)
    {
        var frames = new ConcurrentDictionary<string, (string MemberId, int UserId)>();

        void MapForm(string path, Func<PageContext, IFormCollection, IResult> handle) =>
            web.MapPost(path, (Delegate)((HttpContext http) => WithForm(http, core, handle)));

        web.MapGet("/_sandbox/assets/{name}", (string name) => Asset(name) is { } bytes
            ? Results.Bytes(bytes, name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/html; charset=utf-8")
            : Results.NotFound());

        web.MapGet("/oauth/authorize/", (HttpContext http) => With(http, core, page => oauth.Authorize(http, page.Portal, page.UserId)));
        web.MapGet("/", (HttpContext http) => With(http, core, page => Home(core, page)));
        web.MapGet("/devops/local-app/", (HttpContext http) => With(http, core, page => LocalApp(core, page, saved: false)));
        MapForm("/devops/local-app/", (page, form) => SaveLocalApp(core, page, form));
        web.MapGet("/marketplace/app/local/", (HttpContext http) => With(http, core, page => AppPage(core, page, frames)));
        MapForm("/marketplace/app/local/set-installed", (page, form) => SetInstalled(core, page, form, frames));
        MapForm("/marketplace/app/local/refresh-auth", (page, form) => RefreshAuth(core, page, form, frames));
        web.MapGet("/contact_center/", (HttpContext http) => With(http, core, page => ContactCenter(core, page)));
        MapForm("/contact_center/connect", (page, form) => Connect(core, page, form));
        MapForm("/contact_center/disable", (page, form) => Disable(core, page, form));
        web.MapGet("/contact_center/connector/", (HttpContext http) => With(http, core, page => ConnectorPage(core, page, http, frames)));
        web.MapGet("/online/", (HttpContext http) => With(http, core, page => OpenLinesPage(core, page, http)));
        MapForm("/online/reply", (page, form) => OperatorAction(core, page, form, "reply"));
        MapForm("/online/edit", (page, form) => OperatorAction(core, page, form, "edit"));
        MapForm("/online/delete", (page, form) => OperatorAction(core, page, form, "delete"));
        MapForm("/online/close-session", (page, form) => OperatorAction(core, page, form, "close-session"));
        MapForm("/online/delete-line", (page, form) => OperatorAction(core, page, form, "delete-line"));
    }

    private static IResult With(HttpContext http, SandboxCore core, Func<PageContext, IResult> render) =>
        PageContext.From(http, core) is { } page ? render(page) : Results.NotFound();

    private static async Task<IResult> WithForm(HttpContext http, SandboxCore core, Func<PageContext, IFormCollection, IResult> handle)
    {
        if (PageContext.From(http, core) is not { } page) return Results.NotFound();
        if (!http.Request.HasFormContentType) return Results.BadRequest();
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return Results.BadRequest();
        }
        try
        {
            return handle(page, form);
        }
        catch (InvalidOperationException ex)
        {
            return Results.Content($"<!doctype html><meta charset=utf-8><title>Error</title><p data-testid=\"error\">{H(ex.Message)}</p><p><a href=\"/\">Back</a></p>", "text/html; charset=utf-8", statusCode: 400);
        }
    }

    private static IResult Back(IFormCollection form, string fallback)
    {
        var target = form["return"].ToString();
        return Results.Redirect(target.StartsWith('/') && !target.StartsWith("//", StringComparison.Ordinal) ? target : fallback, preserveMethod: false);
    }

    private static T Locked<T>(SandboxCore core, Func<T> action)
    {
        lock (core.Gate)
        {
            var result = action();
            core.MarkDirty();
            core.SaveIfDirty();
            return result;
        }
    }

    // ---- home ----

    private static IResult Home(SandboxCore core, PageContext page)
    {
        var portal = page.Portal;
        string clientId, installed;
        lock (core.Gate)
        {
            clientId = core.State.ClientId;
            installed = !portal.State.AppAdded ? "not added" : portal.State.AppInstalled ? "installed" : "added, install not finished";
        }
        var body = $"""
            <section class="card">
              <dl class="kv">
                <dt>Domain</dt><dd data-testid="domain">{H(portal.Domain)}</dd>
                <dt>member_id</dt><dd data-testid="member-id">{H(portal.MemberId)}</dd>
                <dt>REST endpoint</dt><dd>{H(portal.RestUri.ToString())}</dd>
                <dt>Local application</dt><dd data-testid="app-client-id">{H(clientId)}</dd>
                <dt>Install status</dt><dd data-testid="app-status">{H(installed)}</dd>
              </dl>
            </section>
            <section class="card">
              <h2>Portal</h2>
              <ul>
                <li><a href="/marketplace/app/local/" data-testid="open-app">Open the application</a> (frames its install page until the install finished, then its handler)</li>
                <li><a href="/contact_center/">Contact Center</a>: connector tiles and their settings</li>
                <li><a href="/online/">Open lines</a>: chats as operators see them; reply, edit, delete</li>
                <li><a href="/devops/local-app/">Developer resources → local application</a>: handler and install URLs, scopes, client id and secret</li>
              </ul>
              <p class="muted">Switch the current user above, or with <code>?user=2</code>; switch the frame language with <code>?lang=ru</code>.</p>
            </section>
            <section class="card">
              <h2>For tests and curl</h2>
              <ul>
                <li><a href="/_sandbox/token?user=1">/_sandbox/token?user=1</a>: tokens of the local app for user 1</li>
                <li><a href="/_sandbox/state">/_sandbox/state</a>, <a href="/_sandbox/calls">/_sandbox/calls</a>, <a href="/_sandbox/events">/_sandbox/events</a>, <a href="/_sandbox/faults">/_sandbox/faults</a></li>
              </ul>
            </section>
            """;
        return Page(page, "Home", body);
    }

    // ---- local application form ----

    private static IResult LocalApp(SandboxCore core, PageContext page, bool saved)
    {
        string handler, install, scopes, clientId, secret;
        bool added;
        lock (core.Gate)
        {
            (handler, install, scopes) = (core.State.HandlerUrl, core.State.InstallUrl, core.State.Scopes);
            (clientId, secret) = (core.State.ClientId, core.State.ClientSecret);
            added = page.Portal.State.AppAdded;
        }
        var disabled = page.IsAdmin ? "" : " disabled";
        var credentials = added && page.IsAdmin
            ? $"""
              <section class="card" data-testid="app-credentials">
                <h2>Application credentials</h2>
                <dl class="kv">
                  <dt>Application ID (client_id)</dt><dd id="client-id" data-testid="client-id">{H(clientId)}</dd>
                  <dt>Application key (client_secret)</dt><dd id="client-secret" data-testid="client-secret">{H(secret)}</dd>
                </dl>
              </section>
              """
            : "";
        var body = $"""
            {(saved ? "<p class=\"notice\" data-testid=\"saved\">Saved.</p>" : "")}
            {(page.IsAdmin ? "" : "<p class=\"notice\">Only administrators can change local applications.</p>")}
            <form class="card" method="post" action="/devops/local-app/" data-testid="local-app-form">
              <div class="field"><label for="handler-url">Your handler path</label>
                <input id="handler-url" name="handler" type="url" required value="{H(handler)}" data-testid="handler-url"{disabled}></div>
              <div class="field"><label for="install-url">Initial installation path</label>
                <input id="install-url" name="install" type="url" required value="{H(install)}" data-testid="install-url"{disabled}></div>
              <div class="field"><label for="scopes">Assign permissions (scopes, comma separated)</label>
                <input id="scopes" name="scopes" type="text" required value="{H(scopes)}" data-testid="scopes"{disabled}></div>
              <button type="submit" id="save-app" data-testid="save-app"{disabled}>Save</button>
            </form>
            {credentials}
            """;
        return Page(page, "Local application", body);
    }

    private static IResult SaveLocalApp(SandboxCore core, PageContext page, IFormCollection form)
    {
        if (!page.IsAdmin) return Results.StatusCode(403);
        var handler = form["handler"].ToString();
        var install = form["install"].ToString();
        var scopes = string.Join(',', form["scopes"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!Uri.TryCreate(handler, UriKind.Absolute, out _) || !Uri.TryCreate(install, UriKind.Absolute, out _) || scopes.Length == 0)
            throw new InvalidOperationException("Handler and install paths must be absolute URLs, and at least one scope is needed.");
        Locked(core, () =>
        {
            core.State.HandlerUrl = handler;
            core.State.InstallUrl = install;
            core.State.Scopes = scopes;
            page.Portal.State.AppAdded = true;
            return true;
        });
        return LocalApp(core, page, saved: true);
    }

    // ---- app frames ----

    private static IResult AppPage(SandboxCore core, PageContext page, ConcurrentDictionary<string, (string, int)> frames)
    {
        bool added, installed;
        lock (core.Gate) (added, installed) = (page.Portal.State.AppAdded, page.Portal.State.AppInstalled);
        if (!added) return Page(page, "Application", "<p class=\"notice\" data-testid=\"app-not-added\">No local application on this portal yet. Add it under <a href=\"/devops/local-app/\">Developer resources</a>.</p>");
        if (!installed && !page.IsAdmin) return Page(page, "Application", "<p class=\"notice\" data-testid=\"app-not-installed\">The application is not fully installed. Ask an administrator to open it.</p>");
        return FramePage(core, page, frames, "DEFAULT", null, "Application");
    }

    private static IResult ConnectorPage(SandboxCore core, PageContext page, HttpContext http, ConcurrentDictionary<string, (string, int)> frames)
    {
        var id = http.Request.Query["ID"].ToString();
        var line = int.TryParse(http.Request.Query["LINE"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
        string options;
        lock (core.Gate)
        {
            var state = page.Portal.State;
            if (!state.AppInstalled || state.Connectors.All(c => c.Id != id)) return Results.NotFound();
            var row = PortalActions.FindStatus(state, id, line);
            options = new JsonObject
            {
                ["CONNECTOR"] = id,
                ["LINE"] = S(line),
                ["STATUS"] = row?.Status ?? false,
                ["ACTIVE_STATUS"] = row?.Active ?? false,
                ["CONNECTION_STATUS"] = row?.Connection ?? false,
                ["REGISTER_STATUS"] = row?.Register ?? false,
                ["ERROR_STATUS"] = row?.Error ?? false,
                ["URI"] = $"/contact_center/connector/?ID={Uri.EscapeDataString(id)}&IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER",
            }.ToJsonString();
        }
        return FramePage(core, page, frames, "SETTING_CONNECTOR", options, "Connector settings");
    }

    private static IResult FramePage(SandboxCore core, PageContext page, ConcurrentDictionary<string, (string, int)> frames, string placement, string? options, string title)
    {
        var portal = page.Portal;
        var appSid = SandboxCore.NewSecret(16);
        FramePost post;
        bool installed;
        lock (core.Gate)
        {
            post = portal.BuildFramePostLocked(page.UserId, placement, options, appSid, page.Lang);
            installed = portal.State.AppInstalled;
            core.SaveIfDirty();
        }
        // Frame sessions only need to outlive a page view; a bound keeps a long-running sandbox small.
        if (frames.Count > 10_000) frames.Clear();
        frames[appSid] = (portal.MemberId, page.UserId);
        var target = post.TargetUrl;
        var initData = new JsonObject
        {
            ["LANG"] = page.Lang,
            ["DOMAIN"] = portal.Domain,
            ["PROTOCOL"] = 0,
            ["PATH"] = "/rest",
            ["AUTH_ID"] = post.Form["AUTH_ID"],
            ["AUTH_EXPIRES"] = int.Parse(post.Form["AUTH_EXPIRES"], CultureInfo.InvariantCulture),
            ["REFRESH_ID"] = post.Form["REFRESH_ID"],
            ["MEMBER_ID"] = portal.MemberId,
            ["FIRST_RUN"] = !installed,
            ["IS_ADMIN"] = page.IsAdmin,
            ["INSTALL"] = !installed,
            ["USER_OPTIONS"] = new JsonArray(),
            ["APP_OPTIONS"] = new JsonArray(),
            ["PLACEMENT"] = placement,
            ["PLACEMENT_OPTIONS"] = options is null ? new JsonObject() : JsonNode.Parse(options),
        };
        var config = new JsonObject
        {
            ["appOrigin"] = target.GetLeftPart(UriPartial.Authority),
            ["appSid"] = appSid,
            ["initData"] = initData,
            ["refreshUrl"] = "/marketplace/app/local/refresh-auth",
            ["installFinishUrl"] = "/marketplace/app/local/set-installed",
        };
        var frameName = $"{portal.Domain}|0|{appSid}";
        var inputs = new StringBuilder();
        foreach (var (key, value) in post.Form) inputs.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{H(key)}\" value=\"{H(value)}\">");
        var body = $"""
            <p class="muted"><span data-testid="frame-mode">{(placement == "DEFAULT" ? (installed ? "handler" : "install") : placement)}</span> ·
              <span data-testid="frame-target">{H(target.ToString())}</span> · <span id="app-title" data-testid="app-title"></span></p>
            <div class="frame-wrap">
              <iframe id="app-frame" data-testid="app-frame" name="{H(frameName)}" title="{H(title)}" allow="clipboard-write"></iframe>
            </div>
            <form id="app-frame-form" method="post" target="{H(frameName)}" action="{H(post.Url.ToString())}" hidden>{inputs}</form>
            <h2>BX24 messages</h2>
            <ol id="bx24-log" data-testid="bx24-log" aria-label="Commands received from the application"></ol>
            <script id="frame-config" type="application/json">{config.ToJsonString()}</script>
            <script src="/_sandbox/assets/applayout.js"></script>
            """;
        return Page(page, title, body);
    }

    private static IResult SetInstalled(SandboxCore core, PageContext page, IFormCollection form, ConcurrentDictionary<string, (string MemberId, int UserId)> frames)
    {
        if (!frames.TryGetValue(form["appSid"].ToString(), out var frame) || frame.MemberId != page.Portal.MemberId) return Results.StatusCode(403);
        // The portal marks the app installed only for an administrator's install frame.
        if (!page.Users.First(u => u.Id == frame.UserId).Admin) return Results.StatusCode(403);
        var installed = form["value"].ToString() != "N";
        if (installed) Locked(core, () => { PortalActions.FinishInstall(page.Portal, frame.UserId); return true; });
        return Results.Json(new { installed });
    }

    private static IResult RefreshAuth(SandboxCore core, PageContext page, IFormCollection form, ConcurrentDictionary<string, (string MemberId, int UserId)> frames)
    {
        if (!frames.TryGetValue(form["appSid"].ToString(), out var frame) || frame.MemberId != page.Portal.MemberId) return Results.StatusCode(403);
        var tokens = Locked(core, () => core.IssueTokens(page.Portal.State, frame.UserId));
        return Results.Json(new Dictionary<string, object?>
        {
            ["AUTH_ID"] = tokens.AccessToken, ["AUTH_EXPIRES"] = tokens.ExpiresIn, ["REFRESH_ID"] = tokens.RefreshToken,
        });
    }

    // ---- contact center ----

    private static IResult ContactCenter(SandboxCore core, PageContext page)
    {
        var state = page.Portal.State;
        var body = new StringBuilder();
        lock (core.Gate)
        {
            if (!state.AppInstalled)
            {
                body.Append("<p class=\"notice\" data-testid=\"connectors-hidden\">The application's install has not finished, so its connectors are not shown.</p>");
            }
            else if (state.Connectors.Count == 0)
            {
                body.Append("<p class=\"notice\" data-testid=\"no-connectors\">No connector is registered yet.</p>");
            }
            else
            {
                body.Append("<div class=\"grid\">");
                foreach (var connector in state.Connectors)
                {
                    var id = H(connector.Id);
                    var color = Php.AsColor(connector.Icon);
                    var lines = string.Concat(state.Lines.Select(l => $"<option value=\"{l.Id}\">{H(l.Name)} (line {l.Id})</option>"));
                    var statuses = string.Concat(state.Statuses.Where(s => s.Connector == connector.Id).Select(s => $"""
                        <li data-testid="connector-status-{id}-{s.Line}">Line {s.Line}:
                          <span class="badge {(s.Status ? "ok" : "off")}">{(s.Status ? "working" : s.Active ? "connecting" : "off")}</span>
                          <a href="/contact_center/connector/?ID={Uri.EscapeDataString(connector.Id)}&amp;LINE={s.Line}" data-testid="connector-settings-{id}-{s.Line}">Settings</a>
                          <form class="inline" method="post" action="/contact_center/disable">
                            <input type="hidden" name="connector" value="{id}"><input type="hidden" name="line" value="{s.Line}">
                            <input type="hidden" name="return" value="/contact_center/">
                            <button type="submit" class="danger" data-testid="connector-disable-{id}-{s.Line}">Disable</button>
                          </form></li>
                        """));
                    body.Append(CultureInfo.InvariantCulture, $"""
                        <section class="tile" data-testid="connector-tile-{id}">
                          <div class="icon" style="background:{H(color)}" aria-hidden="true">{H(connector.Name[..Math.Min(2, connector.Name.Length)])}</div>
                          <strong>{H(connector.Name)}</strong>
                          <span class="muted">{id}</span>
                          <form method="post" action="/contact_center/connect" class="inline">
                            <input type="hidden" name="connector" value="{id}">
                            <label for="connector-line-{id}">Line</label>
                            <select id="connector-line-{id}" name="line" data-testid="connector-line-{id}">{lines}</select>
                            <button type="submit" data-testid="connector-connect-{id}">Connect</button>
                          </form>
                          <ul>{statuses}</ul>
                        </section>
                        """);
                }
                body.Append("</div>");
            }
        }
        return Page(page, "Contact Center", body.ToString());
    }

    private static IResult Connect(SandboxCore core, PageContext page, IFormCollection form)
    {
        if (!page.IsAdmin) return Results.StatusCode(403);
        var connector = form["connector"].ToString();
        var line = int.TryParse(form["line"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
        Locked(core, () => { PortalActions.ConnectFromTile(page.Portal, connector, line); return true; });
        return Results.Redirect($"/contact_center/connector/?ID={Uri.EscapeDataString(connector)}&LINE={S(line)}");
    }

    private static IResult Disable(SandboxCore core, PageContext page, IFormCollection form)
    {
        if (!page.IsAdmin) return Results.StatusCode(403);
        var line = int.TryParse(form["line"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
        Locked(core, () => PortalActions.DeleteStatus(page.Portal, form["connector"].ToString(), line, page.UserId));
        return Back(form, "/contact_center/");
    }

    // ---- open lines (operator view) ----

    private static IResult OpenLinesPage(SandboxCore core, PageContext page, HttpContext http)
    {
        var state = page.Portal.State;
        var body = new StringBuilder();
        lock (core.Gate)
        {
            var selected = int.TryParse(http.Request.Query["line"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : state.Lines.FirstOrDefault()?.Id ?? 0;
            body.Append("<section class=\"card\"><h2>Lines</h2><table><thead><tr><th>Line</th><th>State</th><th>Connectors</th><th>Chats</th><th></th></tr></thead><tbody>");
            foreach (var line in state.Lines)
            {
                var connectors = string.Join(", ", state.Statuses.Where(s => s.Line == line.Id).Select(s => $"{H(s.Connector)} ({(s.Status ? "working" : "off")})"));
                body.Append(CultureInfo.InvariantCulture, $"""
                    <tr data-testid="line-{line.Id}">
                      <td><a href="/online/?line={line.Id}" data-testid="line-link-{line.Id}">{H(line.Name)}</a> <span class="muted">#{line.Id}</span></td>
                      <td><span class="badge {(line.Active ? "ok" : "off")}">{(line.Active ? "active" : "inactive")}</span></td>
                      <td>{connectors}</td>
                      <td>{state.Dialogs.Count(d => d.Line == line.Id)}</td>
                      <td><form class="inline" method="post" action="/online/delete-line">
                        <input type="hidden" name="line" value="{line.Id}"><input type="hidden" name="return" value="/online/">
                        <button type="submit" class="danger" data-testid="delete-line-{line.Id}" aria-label="Delete line {H(line.Name)}">Delete line</button></form></td>
                    </tr>
                    """);
            }
            body.Append("</tbody></table></section>");

            var current = state.Lines.FirstOrDefault(x => x.Id == selected);
            if (current is not null)
            {
                var back = $"/online/?line={current.Id}";
                body.Append(CultureInfo.InvariantCulture, $"<h2 data-testid=\"selected-line\">{H(current.Name)}</h2>");
                foreach (var status in state.Statuses.Where(s => s.Line == current.Id))
                {
                    body.Append(CultureInfo.InvariantCulture, $"""
                        <form class="inline" method="post" action="/contact_center/disable">
                          <input type="hidden" name="connector" value="{H(status.Connector)}"><input type="hidden" name="line" value="{current.Id}">
                          <input type="hidden" name="return" value="{back}">
                          <button type="submit" class="danger" data-testid="disable-{H(status.Connector)}-{current.Id}">Disable {H(status.Connector)} on this line</button>
                        </form>
                        """);
                }
                var dialogs = state.Dialogs.Where(d => d.Line == current.Id).ToList();
                if (dialogs.Count == 0) body.Append("<p class=\"muted\" data-testid=\"no-chats\">No chats on this line yet.</p>");
                foreach (var dialog in dialogs) body.Append(Dialog(state, dialog, back));
            }
        }
        return Page(page, "Open lines", body.ToString());
    }

    private static string Dialog(PortalState state, DialogRecord dialog, string back)
    {
        var chat = S(dialog.ChatId);
        var messages = new StringBuilder();
        foreach (var message in dialog.Messages)
        {
            var id = S(message.Id);
            var author = state.Users.FirstOrDefault(u => u.Id == message.AuthorId);
            var controls = message.FromOperator ? $"""
                <div class="controls">
                <form class="inline" method="post" action="/online/edit">
                  <input type="hidden" name="message" value="{id}"><input type="hidden" name="return" value="{back}">
                  <input type="text" name="text" value="{H(message.Text)}" aria-label="New text of message {id}" data-testid="edit-input-{id}">
                  <button type="submit" class="secondary" data-testid="edit-save-{id}">Save</button>
                </form>
                <form class="inline" method="post" action="/online/delete">
                  <input type="hidden" name="message" value="{id}"><input type="hidden" name="return" value="{back}">
                  <button type="submit" class="danger" data-testid="delete-{id}" aria-label="Delete message {id}">Delete</button>
                </form>
                </div>
                """ : "";
            messages.Append(CultureInfo.InvariantCulture, $"""
                <li class="{(message.FromOperator ? "operator" : "client")}" data-testid="message-{id}" data-message-id="{id}" data-connector-mid="{H(string.Join(',', message.ConnectorMid))}">
                  <div class="meta">{H(author is null ? "?" : $"{author.Name} {author.LastName}")} · {message.Date:yyyy-MM-dd HH:mm:ss}{(message.ConnectorMid.Count > 0 ? " · CONNECTOR_MID " + H(string.Join(", ", message.ConnectorMid)) : "")}</div>
                  <span class="text" data-testid="message-text-{id}">{H(message.Text)}</span>{(message.Edited ? $"<span class=\"edited\" data-testid=\"message-edited-{id}\">(edited)</span>" : "")}
                  {controls}
                </li>
                """);
        }
        return $"""
            <section class="card" data-testid="dialog-{chat}" data-external-chat-id="{H(dialog.ExternalChatId)}">
              <h2>Chat {H(dialog.Name ?? dialog.ExternalChatId)} <span class="muted">({H(dialog.Connector)}, external chat {H(dialog.ExternalChatId)}, chat #{chat})</span></h2>
              {(dialog.Description is null ? "" : $"<p class=\"muted\">{H(dialog.Description)}</p>")}
              <ul class="messages" data-testid="messages-{chat}">{messages}</ul>
              <form class="inline" method="post" action="/online/reply">
                <input type="hidden" name="line" value="{dialog.Line}"><input type="hidden" name="chat" value="{H(dialog.ExternalChatId)}">
                <input type="hidden" name="return" value="{back}">
                <label for="reply-input-{chat}">Reply</label>
                <input id="reply-input-{chat}" type="text" name="text" required data-testid="reply-input-{chat}">
                <button type="submit" data-testid="reply-send-{chat}">Send</button>
              </form>
              <form class="inline" method="post" action="/online/close-session">
                <input type="hidden" name="chat" value="{chat}"><input type="hidden" name="return" value="{back}">
                <button type="submit" class="secondary" data-testid="close-session-{chat}"{(dialog.SessionClosed ? " disabled" : "")}>{(dialog.SessionClosed ? "Session closed" : "Close session")}</button>
              </form>
            </section>
            """;
    }

    private static IResult OperatorAction(SandboxCore core, PageContext page, IFormCollection form, string action)
    {
        int Int(string name) => int.TryParse(form[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var portal = page.Portal;
        Locked(core, () => action switch
        {
            "reply" => PortalActions.OperatorReply(portal, Int("line"), form["chat"].ToString(), form["text"].ToString(), page.UserId) > 0,
            "edit" => PortalActions.OperatorEdit(portal, Int("message"), form["text"].ToString(), page.UserId),
            "delete" => PortalActions.OperatorDelete(portal, Int("message"), page.UserId),
            "close-session" => PortalActions.CloseSession(portal, Int("chat"), page.UserId),
            _ => PortalActions.DeleteLine(portal, Int("line"), page.UserId),
        });
        return Back(form, "/online/");
    }
}
