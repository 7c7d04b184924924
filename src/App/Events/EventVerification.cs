using System.Security.Cryptography;
using System.Text;

namespace LineBridge.Events;

/// <summary>
/// The first filter on a posted event: its <c>auth[member_id]</c> must name an installed portal and its
/// <c>auth[application_token]</c> equal the one stored at install (compared in constant time), when one is stored.
/// Passing it proves little (every frame user sees the token); events are confirmed with the portal afterwards
/// (<see cref="EventConfirmer"/>). Pure: the stored token is a parameter.
/// </summary>
public static class EventVerification
{
    /// <summary>Null when the event is authentic; otherwise what is wrong and what to check.</summary>
    public static string? Verify(string? postedMemberId, string? postedApplicationToken, bool portalKnown, string? storedApplicationToken)
    {
        if (string.IsNullOrEmpty(postedMemberId)) return "The event lacks auth[member_id]; check that the portal posts the auth block.";
        if (!portalKnown) return "The event names a portal (auth[member_id]) where LineBridge is not installed; install the application first.";
        // A portal that posted no application token at install (older portals may not, §2.2) still gets its events:
        // every event is confirmed with the portal before it changes anything, so the token is a filter, not the proof.
        if (string.IsNullOrEmpty(storedApplicationToken)) return null;
        if (string.IsNullOrEmpty(postedApplicationToken)) return "The event lacks auth[application_token]; check that the portal posts the auth block.";
        var posted = Encoding.UTF8.GetBytes(postedApplicationToken);
        var stored = Encoding.UTF8.GetBytes(storedApplicationToken);
        return CryptographicOperations.FixedTimeEquals(posted, stored)
            ? null
            : "auth[application_token] does not match this portal's installation; check that the event comes from the portal LineBridge is installed on.";
    }
}
