using System.Reflection;
using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Messages;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using Microsoft.Extensions.DependencyInjection;
using LineBridge.Components.Layout;
using MudBlazor;

namespace LineBridge.Components.Pages;

/// <summary>
/// The Messages view holds each open page to a small circuit (issue 13 with the throughput issue: 500 KB per page).
/// A circuit's memory grows with its live components (each keeps its state and two render-tree buffers), so the
/// number of components a page of 25 rows keeps is the figure to guard here; <c>bench -- memory</c> measures bytes.
/// </summary>
public sealed class MessagesViewWeightTests : ComponentTestBase
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private Dictionary<string, int> LiveComponents()
    {
        var field = typeof(Renderer).GetField("_componentStateById", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var states = (System.Collections.IDictionary)field.GetValue(Renderer)!;
        return states.Values.Cast<object>()
            .Select(s => ((Microsoft.AspNetCore.Components.Rendering.ComponentState)s).Component.GetType().Name)
            .GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void MessagesView_With25Rows_KeepsFewComponents()
    {
        for (var i = 0; i < 30; i++)
            Log.Add($"m{i}", $"Message {i}: a question about order {1000 + i}.", chatId: $"chat-{i % 5}", minutesAgo: i,
                status: i % 7 == 0 ? MessageStatus.Failed : MessageStatus.Sent, failureReason: i % 7 == 0 ? "ERROR_ARGUMENT: bad" : null);
        var admin = Sessions.Add(TestSessions.Admin());
        Navigation.NavigateTo($"/lines?ticket={admin.Ticket}&line=1");
        // The whole page as the app renders it: the layout (with MudBlazor's providers) around the lines page.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b =>
        {
            b.OpenComponent<LinesPage>(0);
            b.CloseComponent();
        })));
        var cut = layout.FindComponent<LinesPage>();

        cut.WaitForAssertion(() => Assert.Equal(MessageList.PageSize, cut.FindAll("[data-testid=message-row]").Count), Patience);

        var list = cut.FindComponent<MessageList>();
        var range = typeof(Renderer).GetMethod("GetCurrentRenderTreeFrames", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(Renderer, [list.ComponentId])!;
        var frames = (int)range.GetType().GetField("Count")!.GetValue(range)!;
        var capacity = ((Array)range.GetType().GetField("Array")!.GetValue(range)!).Length;
#pragma warning disable BL0006 // the frame's size is what a circuit pays per frame, twice
        var frameBytes = System.Runtime.CompilerServices.Unsafe.SizeOf<RenderTreeFrame>();
#pragma warning restore BL0006
        Xunit.TestContext.Current.TestOutputHelper!.WriteLine(
            $"MessageList: {frames} render-tree frames in a buffer of {capacity} ({capacity * frameBytes / 1024} KB, kept twice)");
        // The renderer keeps two frame buffers per component, pooled in powers of two: 25 rows just over 2,048 frames
        // (2,050 once) held two 4,096-frame buffers, and 1,654 two of 2,048. With the lead cells and the actions as
        // markup (RowMarkup) they were 680 (two of 1,024). Rows without a button of their own all markup, the column
        // headers one string, the Retry button's content one: 217 with these 4 failed rows (issue 15). Stay under 256,
        // so a page with a few failed or long rows still fits in two 256-frame buffers (about 60 KB less per circuit).
        Assert.True(frames <= 240, $"{frames} render-tree frames in the message list");
        var census = LiveComponents();
        var total = census.Values.Sum();
        Xunit.TestContext.Current.TestOutputHelper!.WriteLine($"{total} components: " +
            string.Join(", ", census.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        // 36 when written: the layout's MudBlazor providers, the header, the line picker, the toolbar's buttons, and no
        // component per row, per filter or per line status (the 25 rows were 25 status components, the status filter a MudSelect of 15
        // more and the two text filters MudTextFields of 5-6 each: 123 in all).
        // 12 since: buttons as plain markup, no interactive HeadOutlet, dialog and snackbar providers only on first need.
        Assert.True(total <= 16, $"{total} live components; a page must stay light (see docs/benchmarks.md, memory)");
        Assert.DoesNotContain(census.Keys, name => name.StartsWith("MudSelect", StringComparison.Ordinal) || name.StartsWith("MudInput", StringComparison.Ordinal));
    }

    /// <summary>
    /// What a connected Messages page keeps does not grow with renders or visits: after hundreds of pushed row updates,
    /// paging through the line and back, and going to Settings and back again and again, the page holds the same live
    /// components, the same render-tree frames, the same event handlers, one subscription to the dispatcher's updates and
    /// one cached row markup per shown row. These are what a circuit's memory is made of (bench -- memory measures the
    /// bytes); a leak in any of them grows with every visit or render.
    /// </summary>
    [Fact]
    public async Task MessagesView_DoesNotGrow_WithRendersAndVisits()
    {
        for (var i = 0; i < 60; i++)
            Log.Add($"m{i}", $"Message {i}: a question about order {1000 + i}.", chatId: $"chat-{i % 5}", minutesAgo: i);
        var admin = Sessions.Add(TestSessions.Admin());
        Navigation.NavigateTo($"/lines?ticket={admin.Ticket}&line=1");
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b =>
        {
            b.OpenComponent<LinesPage>(0);
            b.CloseComponent();
        })));
        var cut = layout.FindComponent<LinesPage>();
        cut.WaitForAssertion(() => Assert.Equal(MessageList.PageSize, cut.FindAll("[data-testid=message-row]").Count), Patience);
        var first = Weigh(cut);
        Xunit.TestContext.Current.TestOutputHelper!.WriteLine($"first render: {first}");

        // Renders: every row on the page changes status again and again, pushed as the dispatcher pushes them. After
        // the first round the rows show their edited mark; from then on each round ends as the one before.
        var shown = Log.Messages.OrderByDescending(m => m.CreatedAt).Take(MessageList.PageSize).ToList();
        string? afterRounds = null;
        for (var round = 1; round <= 10; round++)
        {
            foreach (var message in shown)
            {
                await Updates.PublishAsync(admin.MemberId, message with
                {
                    Version = message.Version + round,
                    UpdatedAt = message.UpdatedAt.AddSeconds(round),
                    Status = MessageStatus.Queued,
                });
                await Updates.PublishAsync(admin.MemberId, message with
                {
                    Version = message.Version + round,
                    UpdatedAt = message.UpdatedAt.AddSeconds(round).AddMilliseconds(1),
                    Status = MessageStatus.Sent,
                });
            }
            cut.WaitForAssertion(() => Assert.Equal(MessageList.PageSize, cut.FindAll("[data-testid=status-chip][data-status=Sent]").Count), Patience);
            if (round == 2)
                afterRounds = Weigh(cut);
        }
        Assert.Equal(afterRounds, Weigh(cut));

        // Paging through the line and back (each page loaded again from the log): the rows of pages left behind are not kept.
        cut.Find("[data-testid=pager-next]").Click();
        cut.WaitForAssertion(() => Assert.Contains("26–50", cut.Find("[data-testid=pager-info]").TextContent), Patience);
        cut.Find("[data-testid=pager-previous]").Click();
        cut.WaitForAssertion(() => Assert.Contains("1–25", cut.Find("[data-testid=pager-info]").TextContent), Patience);
        Assert.Equal(first, Weigh(cut));
        for (var page = 0; page < 5; page++)
        {
            cut.Find("[data-testid=pager-next]").Click();
            cut.WaitForAssertion(() => Assert.Contains("26–50", cut.Find("[data-testid=pager-info]").TextContent), Patience);
            cut.Find("[data-testid=pager-previous]").Click();
            cut.WaitForAssertion(() => Assert.Contains("1–25", cut.Find("[data-testid=pager-info]").TextContent), Patience);
        }
        Assert.Equal(first, Weigh(cut));

        // Visits: Settings and back, ten times; each visit to Messages builds a new table and disposes the old one.
        for (var visit = 0; visit < 10; visit++)
        {
            cut.Find("[data-testid=nav-settings]").Click();
            cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=settings-view]")), Patience);
            cut.Find("[data-testid=nav-messages]").Click();
            cut.WaitForAssertion(() => Assert.Equal(MessageList.PageSize, cut.FindAll("[data-testid=message-row]").Count), Patience);
        }
        Assert.Equal(first, Weigh(cut));
    }

    /// <summary>Live components, the table's frames, the renderer's event handlers, update subscriptions and cached row markup.</summary>
    private string Weigh(IRenderedComponent<LinesPage> cut)
    {
        var list = cut.FindComponent<MessageList>();
        var range = typeof(Renderer).GetMethod("GetCurrentRenderTreeFrames", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(Renderer, [list.ComponentId])!;
        var frames = (int)range.GetType().GetField("Count")!.GetValue(range)!;
        var handlers = ((System.Collections.IDictionary)typeof(Renderer)
            .GetField("_eventBindings", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(Renderer)!).Count;
        var leadCells = ((System.Collections.IDictionary)typeof(MessageList)
            .GetField("_rows", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(list.Instance)!).Count;
        return $"components {LiveComponents().Values.Sum()}, table frames {frames}, event handlers {handlers}, " +
            $"update subscriptions {Updates.SubscriberCount}, cached rows {leadCells}";
    }
}
