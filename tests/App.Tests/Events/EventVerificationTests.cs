namespace LineBridge.Events;

public class EventVerificationTests
{
    [Fact]
    public void Verify_AcceptsTheStoredToken() =>
        Assert.Null(EventVerification.Verify("member", "secret-token", portalKnown: true, storedApplicationToken: "secret-token"));

    [Fact]
    public void Verify_LeavesEventsOfAPortalWithoutAStoredToken_ToConfirmationWithThePortal() =>
        Assert.Null(EventVerification.Verify("member", "any", portalKnown: true, storedApplicationToken: null));

    [Theory]
    [InlineData(null, "t", true, "t", "auth[member_id]")]
    [InlineData("m", null, true, "t", "auth[application_token]")]
    [InlineData("m", "t", false, "t", "not installed")]
    [InlineData("m", "secret-tokeN", true, "secret-token", "does not match")]
    [InlineData("m", "secret-token-longer", true, "secret-token", "does not match")]
    public void Verify_SaysWhatToCheck_WhenTheEventIsNotAuthentic(string? memberId, string? token, bool known, string? stored, string message) =>
        Assert.Contains(message, EventVerification.Verify(memberId, token, known, stored));
}
