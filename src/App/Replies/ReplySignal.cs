using LineBridge.Storage;

namespace LineBridge.Replies;

/// <summary>Wakes the <see cref="ReplyDispatcher"/> as soon as a reply is stored or a webhook is set.</summary>
public sealed class ReplySignal : WorkSignal;
