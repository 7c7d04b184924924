using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace LineBridge.Components;

/// <summary>
/// Sets up MudBlazor the way the app does (services, loose JS interop, popover and dialog providers) and the
/// hand-written fakes of the service seams. Components under test get a portal session and its localizer as the
/// pages cascade them.
/// </summary>
public abstract class ComponentTestBase : BunitContext
{
    protected ComponentTestBase()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSupplyValueFromQueryProvider();
        Log = new FakeMessageLog();
        Editor = new FakeMessageEditor(Log);
        Services.AddSingleton<IPortalSessions>(Sessions);
        Services.AddSingleton<IOpenLineDirectory>(Directory);
        Services.AddSingleton<IMessageLog>(Log);
        Services.AddSingleton<IMessageEditor>(Editor);
        Services.AddSingleton<IMessageUpdates>(Updates);
        Services.AddSingleton<ILineWebhooks>(Webhooks);
    }

    protected FakePortalSessions Sessions { get; } = new();
    protected FakeOpenLineDirectory Directory { get; } = new();
    protected FakeMessageLog Log { get; }
    protected FakeMessageEditor Editor { get; }
    protected FakeMessageUpdates Updates { get; } = new();
    protected FakeLineWebhooks Webhooks { get; } = new();

    // An upper bound for WaitForAssertion: met at once when the component is right; generous for a busy machine.
    protected static TimeSpan Patience => TimeSpan.FromSeconds(30);

    private bool _prepared;

    /// <summary>
    /// Renders as the app's circuit does: interactive (pages skip portal calls while prerendering), with MudBlazor's
    /// popover provider (one per context; a second one throws). Call after registering any extra services.
    /// </summary>
    protected void PrepareInteractive()
    {
        if (_prepared)
            return;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Render<MudPopoverProvider>();
        _prepared = true;
    }

    /// <summary>Renders a component as a page renders it: inside the session and the portal's language.</summary>
    protected IRenderedComponent<T> RenderInPortal<T>(PortalSession session, Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : IComponent
    {
        PrepareInteractive();
        return Render<T>(p =>
        {
            p.AddCascadingValue(session);
            p.AddCascadingValue(Localizer.For(session.Language));
            parameters?.Invoke(p);
        });
    }

    /// <summary>Opens a dialog through the dialog service, as the components do, and returns its provider and reference.</summary>
    protected async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenDialogAsync<TDialog>(
        DialogParameters<TDialog> parameters) where TDialog : IComponent
    {
        PrepareInteractive();
        var provider = Render<MudDialogProvider>();
        var service = Services.GetRequiredService<IDialogService>();
        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await service.ShowAsync<TDialog>("test", parameters));
        return (provider, reference!);
    }
}
