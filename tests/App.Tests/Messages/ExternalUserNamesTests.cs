namespace LineBridge.Messages;

public sealed class ExternalUserNamesTests
{
    [Theory]
    [InlineData("Ann", "Ann")]
    [InlineData("Mary-Jane O'Neil", "Mary-Jane O'Neil")]
    [InlineData("Ann2024", "Ann")]
    [InlineData("  Jean   Luc  ", "Jean Luc")]
    [InlineData("O\u2019Brien", "O'Brien")]
    [InlineData("Анна-Мария", "Анна-Мария")]
    [InlineData("user_42.smith", "user smith")]
    [InlineData("Bartholomew Maximilian the Third", "Bartholomew Maximilian")]
    [InlineData("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Aaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("12345", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Normalise_KeepsLettersSpacesHyphensApostrophes_WithinTwentyFive(string? input, string? expected)
    {
        var normalised = ExternalUserNames.Normalise(input);

        Assert.Equal(expected, normalised);
        Assert.True(normalised is null || normalised.Length <= ExternalUserNames.MaxLength);
    }

    [Fact]
    public async Task Dispatcher_ForwardsTheNormalisedName_AndTheLogKeepsTheOriginal()
    {
        using var h = new MessagesHarness();
        const string original = "Customer 1234567890 of shop"; // 27 characters with digits
        var message = MessagesHarness.Message("a");
        message = message with { User = message.User with { Name = original } };
        var sent = h.Send(message);

        await h.DrainAsync();

        var forwarded = h.Portal.Calls.Single().Request.Messages.Single().User.Name;
        Assert.Equal("Customer of shop", forwarded);
        Assert.Equal(original, h.Record(sent[0]).ExternalUserName);
    }
}
