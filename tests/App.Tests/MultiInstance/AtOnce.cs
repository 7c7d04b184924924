namespace LineBridge.MultiInstance;

/// <summary>Calls released at the same moment, each on its own thread-pool task, as concurrent callers on several instances would arrive.</summary>
internal static class AtOnce
{
    /// <summary>Starts <paramref name="count"/> calls of <paramref name="call"/> (given 0 to count - 1), lets them go together and waits for all.</summary>
    public static async Task<T[]> RunAsync<T>(int count, Func<int, Task<T>> call, CancellationToken cancellationToken)
    {
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            start.Wait(cancellationToken);
            return await call(i);
        }, cancellationToken)).ToList();
        start.Set();
        return await Task.WhenAll(calls);
    }
}
