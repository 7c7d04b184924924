using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;
using LineBridge.Storage;

namespace LineBridge.Messages;

/// <summary>
/// Work that cannot go out now waits, visibly and with its reason, and goes out once the reason is gone; anything that
/// failed can be retried. Against a fake portal and a hand-moved clock.
/// </summary>
public sealed class WaitingWorkTests
{
    [Fact]
    public async Task EditRefusedWithNotActiveLine_WaitsWithItsReason_AndGoesOutWhenTheLineIsConnectedAgain()
    {
        using var h = new MessagesHarness();
        var sent = await SentThenEditedAsync(h);
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.BadRequest, Bitrix24Errors.NotActiveLine, "The line with this ID is inactive"));

        await h.DrainAsync();
        h.Time.Advance(TimeSpan.FromMinutes(10));
        await h.DrainAsync();

        var waiting = h.Record(sent);
        Assert.Equal(MessageStatus.Waiting, waiting.Status);
        Assert.Contains("not connected", Localizer.PlainEnglish(waiting.FailureReason));
        Assert.DoesNotContain("NOT_ACTIVE_LINE", waiting.FailureReason);
        Assert.Equal(LineConnectionState.Disconnected, h.Lines.GetState(MessagesHarness.MemberId, 1));
        // The portal still holds the first text; the table can say so.
        Assert.Equal("first", MessageService.ToSentMessage(waiting).PortalText);
        Assert.Equal(["send", "update"], h.Portal.Calls.Select(c => c.Method)); // no calls while the line is off

        h.Lines.MarkConnected(MessagesHarness.MemberId, 1);
        await h.DrainAsync();

        var delivered = h.Record(sent);
        Assert.Equal(MessageStatus.Sent, delivered.Status);
        Assert.Null(delivered.FailureReason);
        Assert.Equal("second", delivered.PortalText);
        Assert.Equal(["send", "update", "update"], h.Portal.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task WorkForALineKnownToBeDisconnected_IsNotAttempted_AndWaits()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("a"))[0];
        h.Lines.MarkDisconnected(MessagesHarness.MemberId, 1);

        await h.DrainAsync();

        Assert.Empty(h.Portal.Calls);
        Assert.Equal(MessageStatus.Waiting, h.Record(sent).Status);
        Assert.Equal(1, h.Store.CountPending(MessagesHarness.MemberId, 1));
    }

    [Fact]
    public async Task WorkForAnUninstalledPortal_WaitsAsSuch_NotPending()
    {
        using var h = new MessagesHarness();
        SaveInstalledPortal(h);
        var sent = h.Send(MessagesHarness.Message("a"))[0];
        h.Portals.MarkUninstalled(MessagesHarness.MemberId);

        await h.DrainAsync();

        Assert.Empty(h.Portal.Calls);
        var record = h.Record(sent);
        Assert.Equal(MessageStatus.Waiting, record.Status);
        Assert.Contains("not installed", Localizer.PlainEnglish(record.FailureReason));
    }

    [Fact]
    public async Task ACallRefusedAsAppNotFound_HoldsTheWork_AsWaitingForAReinstall()
    {
        using var h = new MessagesHarness();
        var sent = await SendRefusedOnceAsync(h, HttpStatusCode.Unauthorized, Bitrix24Errors.ApplicationNotFound, "Application not found");

        Assert.Equal(MessageStatus.Waiting, h.Record(sent).Status);
        Assert.Contains("not installed", Localizer.PlainEnglish(h.Record(sent).FailureReason));
    }

    [Fact]
    public async Task ACallWhoseTokenThePortalNoLongerKnows_Waits_AndGoesOutLater()
    {
        using var h = new MessagesHarness();
        var sent = await SendRefusedOnceAsync(h, HttpStatusCode.Unauthorized, Bitrix24Errors.NoAuthFound, "Wrong authorization data");

        Assert.Equal(MessageStatus.Waiting, h.Record(sent).Status);
        Assert.Contains("NO_AUTH_FOUND", h.Record(sent).FailureReason);

        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.DrainAsync();
        Assert.Equal(MessageStatus.Sent, h.Record(sent).Status);
    }

    [Fact]
    public async Task PaymentRequired_StopsCallsForThePortal_SaysSo_AndResumesOnceItPays()
    {
        using var h = new MessagesHarness(o => o.PaymentProbeInterval = TimeSpan.FromMinutes(10));
        SaveInstalledPortal(h);
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.PaymentRequired, Bitrix24Errors.PaymentRequired, "Payment required"));
        var first = h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();
        var second = h.Send(MessagesHarness.Message("b"));
        h.Time.Advance(TimeSpan.FromMinutes(5));
        await h.DrainAsync();

        Assert.Single(h.Portal.Calls); // stopped: nothing more goes to the portal before the probe time
        Assert.Equal(PortalStatus.PaymentRequired, h.Portals.Find(MessagesHarness.MemberId)!.Status);
        Assert.All([first[0], second[0]], s =>
        {
            Assert.Equal(MessageStatus.Waiting, h.Record(s).Status);
            Assert.Contains("PAYMENT_REQUIRED", Localizer.PlainEnglish(h.Record(s).FailureReason));
        });

        h.Time.Advance(TimeSpan.FromMinutes(6)); // the portal paid meanwhile: the probe goes through
        await h.DrainAsync();

        Assert.Equal(PortalStatus.Installed, h.Portals.Find(MessagesHarness.MemberId)!.Status);
        Assert.All([first[0], second[0]], s => Assert.Equal(MessageStatus.Sent, h.Record(s).Status));
        Assert.Equal(["a", "b"], h.Portal.PortalCopies.Order());
    }

    [Fact]
    public async Task AFailedSend_CanBeRetried_AndGoesOutOnce()
    {
        using var h = new MessagesHarness();
        var sent = await SendRefusedOnceAsync(h, HttpStatusCode.BadRequest, Bitrix24Errors.ErrorArgument, "Not all the required data");
        Assert.Equal(MessageStatus.Failed, h.Record(sent).Status);

        var retried = h.Service.Retry(MessagesHarness.MemberId, sent.Record.Id, ChangeAuthor.Api);
        await h.DrainAsync();

        Assert.Equal(ChangeOutcome.Accepted, retried.Outcome);
        Assert.Equal(MessageStatus.Sent, h.Record(sent).Status);
        Assert.Equal(["a"], h.Portal.PortalCopies);
    }

    [Fact]
    public async Task AFailedEdit_CanBeRetried_AndDeliversTheCurrentText()
    {
        using var h = new MessagesHarness();
        var sent = await SentThenEditedAsync(h);
        h.Portal.Answer = (method, _) => method == "update"
            ? new Bitrix24.Models.MessageItemResult { Success = false, Errors = ["Not all the required data"] }
            : new Bitrix24.Models.MessageItemResult { Success = true };
        await h.DrainAsync();
        Assert.Equal(MessageStatus.Failed, h.Record(sent).Status);

        h.Portal.Answer = (_, _) => new Bitrix24.Models.MessageItemResult { Success = true };
        Assert.Equal(ChangeOutcome.Accepted, h.Service.Retry(MessagesHarness.MemberId, sent.Record.Id, ChangeAuthor.Api).Outcome);
        await h.DrainAsync();

        Assert.Equal(MessageStatus.Sent, h.Record(sent).Status);
        Assert.Equal("second", h.Portal.Calls.Last().Request.Messages[0].Message.Text);
        Assert.Equal("update", h.Portal.Calls.Last().Method);
    }

    [Fact]
    public async Task Retry_OfAMessageThatDidNotFail_IsRejected()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("a"))[0];
        await h.DrainAsync();

        var result = h.Service.Retry(MessagesHarness.MemberId, sent.Record.Id, ChangeAuthor.Api);

        Assert.Equal(ChangeOutcome.Rejected, result.Outcome);
        Assert.Single(h.Portal.Calls);
    }

    /// <summary>A portal saved as installed (the registry knows it; an unknown portal is not gated).</summary>
    private static void SaveInstalledPortal(MessagesHarness h) =>
        h.Portals.Save(new Portal { MemberId = MessagesHarness.MemberId, Domain = "test.example", ClientEndpoint = "http://127.0.0.1:9/rest/" });

    /// <summary>Message "a" sent while the portal refuses the first call with <paramref name="code"/>, after one dispatcher run.</summary>
    private static async Task<AddedMessage> SendRefusedOnceAsync(MessagesHarness h, HttpStatusCode status, string code, string description)
    {
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(status, code, description));
        var sent = h.Send(MessagesHarness.Message("a"))[0];
        await h.DrainAsync();
        return sent;
    }

    /// <summary>Message "a" delivered with the text "first", then edited to "second" (the update is queued, not yet sent).</summary>
    private static async Task<AddedMessage> SentThenEditedAsync(MessagesHarness h)
    {
        var sent = h.Send(MessagesHarness.Message("a", "first"))[0];
        await h.DrainAsync();
        h.Service.Edit(MessagesHarness.MemberId, sent.Record.Id, null, "second", ChangeAuthor.Api);
        return sent;
    }
}
