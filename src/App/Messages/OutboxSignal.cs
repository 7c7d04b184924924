using LineBridge.Storage;

namespace LineBridge.Messages;

/// <summary>Wakes the <see cref="OutboxDispatcher"/> as soon as a send, edit or delete is written.</summary>
public sealed class OutboxSignal : WorkSignal;
