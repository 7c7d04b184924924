using System.Security.Cryptography;
using System.Text;

namespace LineBridge.Events;

/// <summary>
/// Decides whether a posted event is authentic: its <c>auth[application_token]</c> must equal the one stored for its
/// <c>auth[member_id]</c> at install (compared in constant time). Pure: the stored token is a parameter.
/// </summary>
public static class EventVerification
{
    /// <summary>Null when the event is authentic; otherwise what is wrong and what to check.</summary>
    public static string? Verify(string? postedMemberId, string? postedApplicationToken, bool portalKnown, string? storedApplicationToken)
    {
        if (string.IsNullOrEmpty(postedMemberId)) return "The event lacks auth[member_id]; check that the portal posts the auth block.";
        if (string.IsNullOrEmpty(postedApplicationToken)) return "The event lacks auth[application_token]; check that the portal posts the auth block.";
        if (!portalKnown) return "The event names a portal (auth[member_id]) where LineBridge is not installed; install the application first.";
        if (string.IsNullOrEmpty(storedApplicationToken))
        {
            return "No application token is stored for this portal; open the application from the portal to reinstall it.";
        }
        var posted = Encoding.UTF8.GetBytes(postedApplicationToken);
        var stored = Encoding.UTF8.GetBytes(storedApplicationToken);
        return CryptographicOperations.FixedTimeEquals(posted, stored)
            ? null
            : "auth[application_token] does not match this portal's installation; check that the event comes from the portal LineBridge is installed on.";
    }
}
