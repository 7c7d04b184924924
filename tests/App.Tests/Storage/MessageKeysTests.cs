using System.Security.Cryptography;
using System.Text;

namespace LineBridge.Storage;

/// <summary>A line's key: the member id's SHA-256 (first 8 bytes) and the line, big-endian; the id's case matters.</summary>
public class MessageKeysTests
{
    [Fact]
    public void Line_IsTheMemberHashAndTheLine_EveryTime_AndCaseMatters()
    {
        static byte[] Expected(string memberId, int line) =>
            [.. SHA256.HashData(Encoding.UTF8.GetBytes(memberId)).AsSpan(0, 8).ToArray(), 0, 0, 0, (byte)line];

        var first = MessageKeys.Line("a223c6b3710f85df22e9377d6c4f7553", 7);
        first[0] ^= 0xff;   // a caller changing its key must not change the next one
        var again = MessageKeys.Line("a223c6b3710f85df22e9377d6c4f7553", 7);
        var upper = MessageKeys.Line("A223C6B3710F85DF22E9377D6C4F7553", 7);

        Assert.Equal(Expected("a223c6b3710f85df22e9377d6c4f7553", 7), again);
        Assert.Equal(Expected("A223C6B3710F85DF22E9377D6C4F7553", 7), upper);
        Assert.NotEqual(again, upper);
    }
}
