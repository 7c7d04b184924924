global using LineBridge.Infrastructure;
global using Microsoft.Playwright;
global using Xunit;

// One Chromium for the whole run; each test opens its own context.
[assembly: AssemblyFixture(typeof(LineBridge.EndToEnd.Infrastructure.Browser))]
