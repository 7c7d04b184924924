using LineBridge.Components.Portal;

namespace LineBridge.Components.Fakes;

public static class TestSessions
{
    public static PortalSession Admin(string language = "en") => Make(isAdmin: true, language);

    public static PortalSession Operator(string language = "en") => Make(isAdmin: false, language);

    private static PortalSession Make(bool isAdmin, string language) => new()
    {
        MemberId = "0123456789abcdef0123456789abcdef",
        PortalDomain = "portal.example.test",
        UserId = isAdmin ? 1 : 7,
        UserName = isAdmin ? "Anna Admin" : "Oleg Operator",
        IsAdmin = isAdmin,
        Language = language,
        Placement = "DEFAULT",
        Ticket = isAdmin ? "ticket-admin" : "ticket-operator",
    };
}
