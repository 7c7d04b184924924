using System.Text.Json.Nodes;

namespace LineBridge.Soak;

/// <summary>
/// The soak's rule for "delivered": since queued edits coalesce (issue 15), an edit a newer one carried is recorded as
/// Superseded, never Sent; the soak must count such a message as delivered (it waited forever for a Sent that cannot
/// come, and failed with "messages not delivered" while the portals held the right text).
/// </summary>
public sealed class SoakDrainRuleTests
{
    private static JsonObject View(string status, int version, string text, params string[] history) => new()
    {
        ["status"] = status,
        ["version"] = version,
        ["text"] = text,
        ["history"] = new JsonArray(history.Select(h => (JsonNode)new JsonObject { ["status"] = h }).ToArray()),
    };

    [Fact]
    public void AMessageWhoseOlderEditsWereSuperseded_IsSettledAtItsLastVersion()
    {
        string[] texts = ["m v1", "m v2", "m v3", "m v4"];

        Assert.True(MessageDeliverySoakTests.IsSettled(View("Sent", 4, "m v4", "Sent", "Superseded", "Superseded", "Sent"), texts));
        Assert.True(MessageDeliverySoakTests.IsSettled(View("Sent", 4, "m v4", "Sent", "Sent", "Sent", "Sent"), texts));
    }

    [Fact]
    public void AMessageStillOnItsWay_OrWithoutItsLastVersionSent_IsNotSettled()
    {
        string[] texts = ["m v1", "m v2", "m v3"];

        Assert.False(MessageDeliverySoakTests.IsSettled(View("Queued", 3, "m v3", "Sent", "Superseded", "Queued"), texts));
        Assert.False(MessageDeliverySoakTests.IsSettled(View("Sent", 3, "m v3", "Sent", "Sent", "Superseded"), texts));
        Assert.False(MessageDeliverySoakTests.IsSettled(View("Sent", 2, "m v2", "Sent", "Sent"), texts));
        Assert.False(MessageDeliverySoakTests.IsSettled(View("Sent", 3, "m v3", "Sent", "Failed", "Sent"), texts));
    }
}
