using System.Reflection;
using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Messages;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using Microsoft.Extensions.DependencyInjection;
using LineBridge.Components.Layout;
using MudBlazor;

namespace LineBridge.Components.Pages;

/// <summary>
/// The Messages view holds each open page to a small circuit (issue 13 with the throughput issue: 500 KB per page).
/// A circuit's memory grows with its live components (each keeps its state and two render-tree buffers), so the
/// number of components a page of 25 rows keeps is the figure to guard here; <c>bench -- memory</c> measures bytes.
/// </summary>
public sealed class MessagesViewWeightTests : ComponentTestBase
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private Dictionary<string, int> LiveComponents()
    {
        var field = typeof(Renderer).GetField("_componentStateById", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var states = (System.Collections.IDictionary)field.GetValue(Renderer)!;
        return states.Values.Cast<object>()
            .Select(s => ((Microsoft.AspNetCore.Components.Rendering.ComponentState)s).Component.GetType().Name)
            .GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void MessagesView_With25Rows_KeepsFewComponents()
    {
        for (var i = 0; i < 30; i++)
            Log.Add($"m{i}", $"Message {i}: a question about order {1000 + i}.", chatId: $"chat-{i % 5}", minutesAgo: i,
                status: i % 7 == 0 ? MessageStatus.Failed : MessageStatus.Sent, failureReason: i % 7 == 0 ? "ERROR_ARGUMENT: bad" : null);
        var admin = Sessions.Add(TestSessions.Admin());
        Navigation.NavigateTo($"/lines?ticket={admin.Ticket}&line=1");
        // The whole page as the app renders it: the layout (with MudBlazor's providers) around the lines page.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b =>
        {
            b.OpenComponent<LinesPage>(0);
            b.CloseComponent();
        })));
        var cut = layout.FindComponent<LinesPage>();

        cut.WaitForAssertion(() => Assert.Equal(MessageList.PageSize, cut.FindAll("[data-testid=message-row]").Count), Patience);

        var list = cut.FindComponent<MessageList>();
        var range = typeof(Renderer).GetMethod("GetCurrentRenderTreeFrames", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(Renderer, [list.ComponentId])!;
        var frames = (int)range.GetType().GetField("Count")!.GetValue(range)!;
        Xunit.TestContext.Current.TestOutputHelper!.WriteLine($"MessageList: {frames} render-tree frames");
        // The renderer keeps two frame buffers per component, pooled in powers of two: 25 rows just over 2,048 frames
        // (2,050 once) held two 4,096-frame buffers. Stay well under, so failed rows and files still fit.
        Assert.True(frames <= 1700, $"{frames} render-tree frames in the message list");
        var census = LiveComponents();
        var total = census.Values.Sum();
        Xunit.TestContext.Current.TestOutputHelper!.WriteLine($"{total} components: " +
            string.Join(", ", census.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        // 36 when written: the layout's MudBlazor providers, the header, the line picker, the toolbar's buttons, and no
        // component per row, per filter or per line status (the 25 rows were 25 status components, the status filter a MudSelect of 15
        // more and the two text filters MudTextFields of 5-6 each: 123 in all).
        Assert.True(total <= 40, $"{total} live components; a page must stay light (see docs/benchmarks.md, memory)");
        Assert.DoesNotContain(census.Keys, name => name.StartsWith("MudSelect", StringComparison.Ordinal) || name.StartsWith("MudInput", StringComparison.Ordinal));
    }
}
