package io.crmhub.mappings.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class IpAddressesTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void everyIpOfAnEventIsTruncatedWhereverTheSenderPutIt() throws Exception {
        // RudderStack's request_ip, the ip trait its SDKs set (traits and context.traits), Segment's context.ip,
        // an ad server's ip, and spellings seen in server-side sources
        JsonNode e = json.readTree("""
                {"type":"identify","userId":"u1","request_ip":"192.168.1.100","ip":"2001:db8:85a3::8a2e:370:7334",
                 "context":{"ip":"203.0.113.77","traits":{"ip":"203.0.113.78"},"page":{"url":"https://x.example/"}},
                 "traits":{"ip":"198.51.100.23","email":"a@example.com","address":{"city":"Austin"}},
                 "properties":{"clientIp":"10.1.2.3","X-Forwarded-For":"198.51.100.9, 10.0.0.1",
                               "visits":[{"ip_address":"192.0.2.44"}],"ipAddress":"not an address","remote_addr":1234,
                               "shipping":"zip 78701","ip_unknown":"192.0.2.45"},
                 "integrations":{"All":true}}""");
        assertThat(IpAddresses.redact(e)).isTrue();
        assertThat(e.get("request_ip").asText()).isEqualTo("192.168.1.0");
        assertThat(e.get("ip").asText()).isEqualTo("2001:db8:85a3::");
        assertThat(e.at("/context/ip").asText()).isEqualTo("203.0.113.0");
        assertThat(e.at("/context/traits/ip").asText()).isEqualTo("203.0.113.0");
        assertThat(e.at("/traits/ip").asText()).isEqualTo("198.51.100.0");
        assertThat(e.at("/properties/clientIp").asText()).isEqualTo("10.1.2.0");
        assertThat(e.at("/properties/X-Forwarded-For").asText()).isEqualTo("198.51.100.0");
        assertThat(e.at("/properties/visits/0/ip_address").asText()).isEqualTo("192.0.2.0");
        // what is not an IP literal under such a name is removed: it might be one in another form
        assertThat(e.at("/properties").has("ipAddress")).isFalse();
        assertThat(e.at("/properties").has("remote_addr")).isFalse();
        // other fields are left alone, and the text holds no full address anywhere (a name not in the list is
        // not an IP field: "ip_unknown" keeps its value, which no sender uses for a client address)
        assertThat(e.at("/traits/email").asText()).isEqualTo("a@example.com");
        assertThat(e.at("/properties/shipping").asText()).isEqualTo("zip 78701");
        assertThat(e.toString()).doesNotContain("192.168.1.100").doesNotContain("203.0.113.77")
                .doesNotContain("203.0.113.78").doesNotContain("198.51.100.23").doesNotContain("8a2e:370:7334")
                .doesNotContain("10.1.2.3").doesNotContain("192.0.2.44");
    }

    @Test
    void whatGoesToTheQuarantineKeepsNoFullAddressWhateverItsShape() throws Exception {
        JsonNode e = json.readTree("""
                {"type":"page","anonymousId":"a","context":"203.0.113.9","properties":["203.0.113.201",
                 {"at":"12:30:45","mac":"00:1a:2b:3c:4d:5e","v6":" 2001:db8:abcd:12::9 ","list":"198.51.100.1, 10.0.0.1",
                  "version":"1.2.3.4"}],"context2":{"ip":"192.0.2.77"}}""");
        IpAddresses.redactEveryAddress(e);
        assertThat(e.get("context").asText()).isEqualTo("203.0.113.0");
        assertThat(e.at("/properties/0").asText()).isEqualTo("203.0.113.0");
        assertThat(e.at("/properties/1/v6").asText()).isEqualTo("2001:db8:abcd::");
        assertThat(e.at("/properties/1/version").asText()).as("the price of not guessing").isEqualTo("1.2.3.0");
        assertThat(e.at("/context2/ip").asText()).isEqualTo("192.0.2.0");
        // a time, a MAC address and a list are no address literal (a list under an IP name is redacted by name)
        assertThat(e.at("/properties/1/at").asText()).isEqualTo("12:30:45");
        assertThat(e.at("/properties/1/mac").asText()).isEqualTo("00:1a:2b:3c:4d:5e");
        assertThat(e.at("/properties/1/list").asText()).isEqualTo("198.51.100.1, 10.0.0.1");

        // a message that is not JSON: every address in its text
        assertThat(IpAddresses.redactText("not json from 203.0.113.77 via [2001:db8:85a3::8a2e:370:7334] at 12:30:45,"
                + " v1.2.3.4.5, 999.1.1.1")).isEqualTo("not json from 203.0.113.0 via [2001:db8:85a3::] at 12:30:45,"
                + " v1.2.3.4.5, 999.1.1.1");
    }

    @Test
    void moreNamesProxiesAndCdnsUseAndAnAddressWithItsPort() throws Exception {
        JsonNode e = json.readTree("{\"context\":{\"ip\":\"203.0.113.42:443\"},\"properties\":{\"visitorIp\":\"198.51.100.7\","
                + "\"cf-connecting-ip\":\"198.51.100.8\",\"ipv6\":\"2001:db8:abcd:12::9\",\"forwarded\":\"for=192.0.2.60;proto=http\","
                + "\"True-Client-IP\":\"[2001:db8::1]:8443\"}}");
        IpAddresses.redact(e);
        assertThat(e.at("/context/ip").asText()).isEqualTo("203.0.113.0");
        assertThat(e.at("/properties/visitorIp").asText()).isEqualTo("198.51.100.0");
        assertThat(e.at("/properties/cf-connecting-ip").asText()).isEqualTo("198.51.100.0");
        assertThat(e.at("/properties/ipv6").asText()).isEqualTo("2001:db8:abcd::");
        assertThat(e.at("/properties/True-Client-IP").asText()).isEqualTo("2001:db8::");
        assertThat(e.at("/properties").has("forwarded")).as("not a literal under an IP name: removed").isFalse();
        assertThat(IpAddresses.truncate("12:30:45")).isNull();
    }

    @Test
    void anEventWithoutAddressesOrWithTruncatedOnesIsUnchanged() throws Exception {
        JsonNode e = json.readTree("""
                {"type":"page","anonymousId":"a","context":{"ip":"203.0.113.0","traits":{"ip":null}},
                 "properties":{"path":"/"}}""");
        String before = e.toString();
        assertThat(IpAddresses.redact(e)).isFalse();
        assertThat(e.toString()).isEqualTo(before);
    }
}
