using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>The <c>imconnector.*</c> methods of one portal.</summary>
public class ConnectorClient
{
    // TODO: the transport lands with the typed client (issue 3); these signatures are the seam the outbox uses.

    /// <summary>Sends messages into an open line. REST: <c>imconnector.send.messages</c>. Never retried blindly.</summary>
    public virtual Task<ConnectorMessagesResult> SendMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Replaces the text of sent messages. REST: <c>imconnector.update.messages</c>.</summary>
    public virtual Task<ConnectorMessagesResult> UpdateMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Deletes sent messages. REST: <c>imconnector.delete.messages</c>.</summary>
    public virtual Task<ConnectorMessagesResult> DeleteMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
