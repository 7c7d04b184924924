using Dapper;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// A table of per-portal leases (<c>member_id</c> primary key, <c>lease_owner</c>, <c>lease_until</c>): which instance
/// handles a portal's work of one kind for now. Taken when free or lapsed, renewed by its holder, and fencing every
/// write-back: a renewal that finds the lease another's changes nothing. Used by the event inbox
/// (<c>event_portal_leases</c>) and the reply deliveries (<c>reply_portal_leases</c>).
/// </summary>
internal sealed class PortalLeases
{
    /// <summary>The event inbox's leases.</summary>
    public static readonly PortalLeases Events = new("event_portal_leases");

    /// <summary>The reply deliveries' leases.</summary>
    public static readonly PortalLeases Replies = new("reply_portal_leases");

    private PortalLeases(string table) => Table = table;

    /// <summary>The table's name (one of the fixed names above, never input).</summary>
    public string Table { get; }

    /// <summary>
    /// Takes the portal's lease for <paramref name="owner"/> until <paramref name="until"/> when it is free, lapsed
    /// (its end before <paramref name="now"/>) or already the owner's; false when another instance holds it.
    /// </summary>
    public bool TakeOrRenew(NpgsqlConnection c, string memberId, string owner, DateTime now, DateTime until) =>
        c.ExecuteScalar<string?>($"""
            INSERT INTO {Table} (member_id, lease_owner, lease_until) VALUES (@memberId, @owner, @until)
            ON CONFLICT (member_id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
            WHERE {Table}.lease_owner = @owner OR {Table}.lease_until < @now
            RETURNING lease_owner
            """, new { memberId, owner, until, now }) is not null;

    /// <summary>
    /// The statement that renews the portal's lease of <c>@owner</c> until <c>@until</c> (parameters <c>@MemberId</c>,
    /// <c>@owner</c>, <c>@until</c>), returning its row only when it is still the owner's: for a write-back to put in a
    /// <c>WITH held AS (...)</c> and make conditional on <c>EXISTS (SELECT 1 FROM held)</c>.
    /// </summary>
    public string RenewReturningRow =>
        $"UPDATE {Table} SET lease_until = @until WHERE member_id = @MemberId AND lease_owner = @owner RETURNING member_id";

    /// <summary>Renews the owner's lease inside <paramref name="tx"/> (locking its row); false when it is no longer theirs.</summary>
    public bool Renew(NpgsqlConnection c, NpgsqlTransaction tx, string memberId, string owner, DateTime until) =>
        c.Execute($"UPDATE {Table} SET lease_until = @until WHERE member_id = @memberId AND lease_owner = @owner",
            new { memberId, owner, until }, tx) == 1;

    /// <summary>Lets go of every lease of <paramref name="owner"/> (a graceful stop), so others need not wait for them to lapse.</summary>
    public void Release(NpgsqlConnection c, string owner) =>
        c.Execute($"DELETE FROM {Table} WHERE lease_owner = @owner", new { owner });
}
