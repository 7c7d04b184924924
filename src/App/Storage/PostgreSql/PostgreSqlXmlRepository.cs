using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// The Data Protection key ring in the table <c>data_protection_keys</c>, so every instance decrypts what another
/// encrypted (tokens, webhook secrets, placement tickets). A key another instance made is found on the first payload
/// it protected: Data Protection reloads the ring when it meets an unknown key id.
/// </summary>
internal sealed class PostgreSqlXmlRepository(PostgreSqlDatabase database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.Open();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY stored_at, friendly_name")
            .Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml)
            ON CONFLICT (friendly_name) DO UPDATE SET xml = excluded.xml
            """, new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
