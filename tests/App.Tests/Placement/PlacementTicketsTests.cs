using Microsoft.AspNetCore.DataProtection;
using LineBridge.Infrastructure;

namespace LineBridge.Placement;

public class PlacementTicketsTests
{
    private static readonly TicketPayload Payload = new("member", "example.bitrix24.com", 7, "Anna Admin", true, "en", "DEFAULT", null, null);

    [Fact]
    public void Read_ReturnsThePayload_OfAnIssuedTicket()
    {
        var tickets = new PlacementTickets(new EphemeralDataProtectionProvider(), TimeProvider.System);

        Assert.Equal(Payload, tickets.Read(tickets.Issue(Payload)));
    }

    [Fact]
    public void Read_ReturnsNull_OnceTheTicketExpired()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var tickets = new PlacementTickets(new EphemeralDataProtectionProvider(), time);
        var ticket = tickets.Issue(Payload);

        time.Advance(PlacementTickets.Lifetime + TimeSpan.FromMinutes(1));

        Assert.Null(tickets.Read(ticket));
    }

    [Fact]
    public void Read_ReturnsNull_ForATicketSignedWithOtherKeys()
    {
        var ours = new PlacementTickets(new EphemeralDataProtectionProvider(), TimeProvider.System);
        var theirs = new PlacementTickets(new EphemeralDataProtectionProvider(), TimeProvider.System);

        Assert.Null(ours.Read(theirs.Issue(Payload)));
    }
}
