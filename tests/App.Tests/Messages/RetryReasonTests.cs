using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;

namespace LineBridge.Messages;

/// <summary>A message waiting on portal errors says why, which attempt it is at and when the next try is (issue 13).</summary>
public sealed class RetryReasonTests
{
    [Fact]
    public async Task WaitingMessage_RecordsTheAttemptAndTheNextTry_AndTheUiTellsItAsASentence()
    {
        using var h = new MessagesHarness(o => o.RetryDelay = TimeSpan.FromSeconds(20));
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.InternalServerError, Bitrix24Errors.InternalServerError, "boom"));
        var sent = h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();

        var record = h.Record(sent[0]);
        Assert.Equal(MessageStatus.Queued, record.Status);
        // Recorded language-neutral (a code and its arguments); the API gives it in the English shape it always had.
        Assert.StartsWith("{\"code\":\"Reason.Retry\"", record.FailureReason);
        Assert.Matches(@"^Waiting to retry \(attempt 1, next try at 2026-11-24T12:00:[0-9]{2}Z\) \(INTERNAL_SERVER_ERROR: boom\)$", Localizer.PlainEnglish(record.FailureReason));
        var text = Localizer.English.DescribeReason(record.FailureReason!, h.Time.GetUtcNow());
        Assert.Matches(@"^Waiting to retry: The portal failed inside \(HTTP 500\)\. \(INTERNAL_SERVER_ERROR\); attempt 1, next try in (1[5-9]|2[0-5]) s$", text);
        Assert.StartsWith("Ожидает повтора: Внутренняя ошибка портала (HTTP 500). (INTERNAL_SERVER_ERROR); попытка 1, следующая через",
            Localizer.For("ru").DescribeReason(record.FailureReason!, h.Time.GetUtcNow()));
    }
}
