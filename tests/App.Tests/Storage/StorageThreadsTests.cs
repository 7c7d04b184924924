using Microsoft.AspNetCore.Builder;

namespace LineBridge.Storage;

public class StorageThreadsTests
{
    [Fact]
    public void AddingTheStorage_GivesTheThreadPoolRoomForItsBlockingWrites()
    {
        var data = Directory.CreateTempSubdirectory("linebridge-threads-");
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
            builder.Configuration["Storage:DataDirectory"] = data.FullName;

            builder.AddStorage();

            ThreadPool.GetMinThreads(out var workers, out _);
            Assert.True(workers >= StorageThreads.MinWorkerThreads, $"the pool's floor is {workers} worker threads");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }
}
