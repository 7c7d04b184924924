namespace LineBridge.Components.Portal;

/// <summary>
/// What the start page tells a person who opened LineBridge outside a portal. The app implements it; when it is
/// not registered the page simply shows no sandbox link.
/// </summary>
public interface IOutsidePortalInfo
{
    /// <summary>The sandbox portal's address when one runs beside the app (a newcomer's demo), else null.</summary>
    Uri? SandboxPortalUrl { get; }
}
