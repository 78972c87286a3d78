package io.crmhub.mappings.membership;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AspNetProfileDecoderTest {

    @Test
    void decodesStringPropertiesAsSqlProfileProviderStoresThem() {
        // as written by System.Web.Profile.SqlProfileProvider for FirstName="Ann", LastName="Smith", City="Köln"
        Map<String, AspNetProfileDecoder.Property> p = AspNetProfileDecoder.decode(
                "FirstName:S:0:3:LastName:S:3:5:City:S:8:4:", "AnnSmithKöln", null);
        assertThat(p).containsOnlyKeys("FirstName", "LastName", "City");
        assertThat(p.get("FirstName").text()).isEqualTo("Ann");
        assertThat(p.get("LastName").text()).isEqualTo("Smith");
        assertThat(p.get("City").text()).isEqualTo("Köln");
    }

    @Test
    void minusOneLengthIsNullAndEmptyStringIsEmpty() {
        Map<String, AspNetProfileDecoder.Property> p = AspNetProfileDecoder.decode(
                "Nick:S:0:-1:Empty:S:0:0:Zip:S:0:5:", "50667", null);
        assertThat(p.get("Nick").isNull()).isTrue();
        assertThat(p.get("Empty").text()).isEmpty();
        assertThat(p.get("Zip").text()).isEqualTo("50667");
    }

    @Test
    void binaryValuesAreKeptOpaque() {
        byte[] bin = {0x00, 0x01, (byte) 0xFF, 0x7F, 0x10};
        Map<String, AspNetProfileDecoder.Property> p = AspNetProfileDecoder.decode(
                "Cart:B:1:3:Name:S:0:2:", "Jo", bin);
        assertThat(p.get("Cart").binary()).isTrue();
        assertThat(p.get("Cart").bytes()).containsExactly(0x01, 0xFF, 0x7F);
        assertThat(p.get("Cart").asText()).isEqualTo("Af9/");
        assertThat(p.get("Name").text()).isEqualTo("Jo");
    }

    @Test
    void xmlSerializedValuesComeBackAsStored() {
        String xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><dateTime>1980-04-03T00:00:00</dateTime>";
        Map<String, AspNetProfileDecoder.Property> p = AspNetProfileDecoder.decode(
                "BirthDate:S:0:" + xml.length() + ":", xml, null);
        assertThat(p.get("BirthDate").text()).isEqualTo(xml);
    }

    @Test
    void emptyBagIsEmpty() {
        assertThat(AspNetProfileDecoder.decode(null, null, null)).isEmpty();
        assertThat(AspNetProfileDecoder.decode("", "", null)).isEmpty();
    }

    @Test
    void rejectsMalformedBagsWithTheReason() {
        assertThatThrownBy(() -> AspNetProfileDecoder.decode("FirstName:S:0:", "Ann", null))
                .isInstanceOf(AspNetProfileDecoder.DecodeException.class).hasMessageContaining("groups of 4");
        assertThatThrownBy(() -> AspNetProfileDecoder.decode("FirstName:X:0:3:", "Ann", null))
                .hasMessageContaining("type 'X'");
        assertThatThrownBy(() -> AspNetProfileDecoder.decode("FirstName:S:zero:3:", "Ann", null))
                .hasMessageContaining("start that is not a number");
        assertThatThrownBy(() -> AspNetProfileDecoder.decode("FirstName:S:2:9:", "Ann", null))
                .hasMessageContaining("outside PropertyValuesString (3 characters)");
        assertThatThrownBy(() -> AspNetProfileDecoder.decode("Cart:B:0:9:", "", new byte[2]))
                .hasMessageContaining("outside PropertyValuesBinary (2 bytes)");
        assertThatThrownBy(() -> AspNetProfileDecoder.decode(":S:0:1:", "A", null))
                .hasMessageContaining("has no name");
    }

    @Test
    void encodeThenDecodeRoundTrips() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("FirstName", "Zoë");
        v.put("Nick", null);
        v.put("Bio", "a:b|c");
        String[] enc = AspNetProfileDecoder.encodeStrings(v);
        assertThat(enc[0]).isEqualTo("FirstName:S:0:3:Nick:S:0:-1:Bio:S:3:5:");
        Map<String, AspNetProfileDecoder.Property> p = AspNetProfileDecoder.decode(enc[0], enc[1], null);
        assertThat(p.get("FirstName").text()).isEqualTo("Zoë");
        assertThat(p.get("Nick").isNull()).isTrue();
        assertThat(p.get("Bio").text()).isEqualTo("a:b|c");
        assertThat("x".getBytes(StandardCharsets.UTF_8)).hasSize(1);
    }
}
