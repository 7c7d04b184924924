using System.Security.Cryptography;

namespace LineBridge.Sandbox.State;

/// <summary>Builds the state a fresh sandbox starts with, or completes one loaded from a state file.</summary>
internal static class Seeder
{
    public static SandboxState Seed(SandboxOptions options, SandboxState? loaded, DateTimeOffset now)
    {
        var state = loaded ?? new SandboxState
        {
            // Local apps get ids like local.5c8bb1b0891cf2.87252039; the secret is made at first start and kept only in memory or the state file.
            ClientId = $"local.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(7))}.{RandomNumberGenerator.GetInt32(10_000_000, 100_000_000)}",
            ClientSecret = RandomString(50),
            HandlerUrl = options.HandlerUrl,
            InstallUrl = options.InstallUrl,
            Scopes = options.Scopes,
        };
        for (var i = 0; i < options.Portals.Count; i++)
        {
            var portalOptions = options.Portals[i];
            if (string.IsNullOrEmpty(portalOptions.MemberId)) portalOptions.MemberId = SandboxPortalOptions.DefaultMemberId(i + 1);
            if (state.Portals.Any(p => p.MemberId == portalOptions.MemberId)) continue;
            state.Portals.Add(SeedPortal(state, options, portalOptions, now));
        }
        return state;
    }

    private static PortalState SeedPortal(SandboxState state, SandboxOptions options, SandboxPortalOptions portalOptions, DateTimeOffset now)
    {
        var portal = new PortalState
        {
            MemberId = portalOptions.MemberId,
            AppAdded = options.SeedApp,
            AppId = 7 + state.Portals.Count,
            ApplicationToken = SandboxCore.NewSecret(16),
            WebhookCode = RandomString(16).ToLowerInvariant(),
            Users =
            [
                new UserRecord { Id = 1, Name = "Anna", LastName = "Admin", Email = "admin@example.test", Position = "Administrator", Gender = "F", Admin = true },
                new UserRecord { Id = 2, Name = "Oleg", LastName = "Operator", Email = "oleg@example.test", Position = "Operator", Gender = "M" },
                new UserRecord { Id = 3, Name = "Olga", LastName = "Operator", Email = "olga@example.test", Position = "Operator", Gender = "F" },
            ],
        };
        string[] names = ["Website chat", "Support", "Archive (inactive)", "Sales", "Partners"];
        var count = Math.Max(3, portalOptions.OpenLineCount);
        for (var id = 1; id <= count; id++)
        {
            portal.Lines.Add(new LineRecord
            {
                Id = id,
                Name = id <= names.Length ? names[id - 1] : $"Open line {id}",
                Active = id != 3,
                Created = now,
                Queue = id == 1 ? [1, 2] : [2, 3],
            });
        }
        return portal;
    }

    private static string RandomString(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}
