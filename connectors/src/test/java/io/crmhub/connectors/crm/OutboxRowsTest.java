package io.crmhub.connectors.crm;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class OutboxRowsTest {

    static final UUID A = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    static final UUID B = UUID.fromString("00000000-0000-0000-0000-00000000000b");
    static final Instant T = Instant.parse("2026-12-03T10:00:00Z");

    static Object[] ev(Object profile, String type, String payload) {
        return new Object[]{profile, type, payload, T};
    }

    /** Writes the rows as the writers do, reads them back as the relay does. */
    static List<CrmStore.OutboxEvent> roundTrip(List<Object[]> events) {
        List<CrmStore.OutboxEvent> out = new ArrayList<>();
        long id = 100;
        for (Object[] r : OutboxRows.bundle(events)) {
            out.addAll(OutboxRows.expand(id++, r[0] instanceof UUID u ? u : null, (String) r[1], (String) r[2],
                    (Instant) r[3]));
        }
        return out;
    }

    @Test
    void consecutiveEventsOfOneProfileShareARowAndComeBackInOrder() {
        List<Object[]> events = List.of(ev(A, "profile.created", "{\"p\":1}"), ev(A, "consent.changed", "{\"c\":\"x,y\"}"),
                ev(B, "profile.created", "{\"p\":2}"), ev(A, "list.member.added", "{\"m\":1}"));
        List<Object[]> rows = OutboxRows.bundle(events);
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).containsExactly(A, "profile.created,consent.changed", "{\"p\":1}\n{\"c\":\"x,y\"}", T);
        assertThat(rows.get(1)).containsExactly(B, "profile.created", "{\"p\":2}", T);
        assertThat(rows.get(2)).as("not consecutive: a row of its own").containsExactly(A, "list.member.added",
                "{\"m\":1}", T);
        assertThat(events.get(0)[1]).as("input unchanged").isEqualTo("profile.created");

        List<CrmStore.OutboxEvent> back = roundTrip(events);
        assertThat(back).extracting(CrmStore.OutboxEvent::eventType)
                .containsExactly("profile.created", "consent.changed", "profile.created", "list.member.added");
        assertThat(back).extracting(CrmStore.OutboxEvent::payload)
                .containsExactly("{\"p\":1}", "{\"c\":\"x,y\"}", "{\"p\":2}", "{\"m\":1}");
        assertThat(back).extracting(CrmStore.OutboxEvent::profileId).containsExactly(A, A, B, A);
        assertThat(back).extracting(CrmStore.OutboxEvent::key).containsExactly("100", "100.1", "101", "102");
        assertThat(back).extracting(CrmStore.OutboxEvent::id).containsExactly(100L, 100L, 101L, 102L);
    }

    @Test
    void eventsThatCannotBeJoinedSafelyGetARowOfTheirOwn() {
        List<Object[]> events = List.of(ev(null, "campaign.created", "{}"), ev(null, "campaign.created", "{}"),
                ev(Jdbc.NULL_UUID, "x", "{}"), ev(Jdbc.NULL_UUID, "x", "{}"),
                ev(A, "a", "{}"), ev(A, "pretty", "{\n}"), ev(A, "b", "{}"), ev(A, "odd,type", "{}"), ev(A, "c", "{}"));
        List<Object[]> rows = OutboxRows.bundle(events);
        assertThat(rows).extracting(r -> (String) r[1]).containsExactly("campaign.created", "campaign.created", "x", "x",
                "a", "pretty", "b", "odd,type", "c");
        List<CrmStore.OutboxEvent> back = roundTrip(events);
        assertThat(back).extracting(CrmStore.OutboxEvent::payload).contains("{\n}");
        assertThat(back).as("a stored type with the separator but one payload stays one event")
                .extracting(CrmStore.OutboxEvent::eventType).contains("odd,type");
        assertThat(back).hasSize(events.size());
    }

    @Test
    void byProfileBringsAProfilesEventsTogetherInTheirOrder() {
        List<Object[]> crm = List.of(ev(A, "profile.created", "{}"), ev(B, "profile.created", "{}"),
                ev(A, "consent.changed", "{}"), ev(Jdbc.NULL_UUID, "n1", "{}"), ev(B, "profile.updated", "{}"));
        List<Object[]> own = List.of(ev(B, "list.member.added", "{}"), ev(null, "n2", "{}"), ev(A, "list.member.added", "{}"),
                ev(A, "interaction.added", "{}"), ev(UUID.fromString("00000000-0000-0000-0000-00000000000c"), "c", "{}"));
        List<Object[]> all = OutboxRows.byProfile(crm, own);
        assertThat(all).extracting(r -> r[0] + " " + r[1]).containsExactly(
                A + " profile.created", A + " consent.changed", A + " list.member.added", A + " interaction.added",
                B + " profile.created", B + " profile.updated", B + " list.member.added",
                Jdbc.NULL_UUID + " n1", "null n2", "00000000-0000-0000-0000-00000000000c c");
        assertThat(OutboxRows.bundle(all)).extracting(r -> (String) r[1]).containsExactly(
                "profile.created,consent.changed,list.member.added,interaction.added",
                "profile.created,profile.updated,list.member.added", "n1", "n2", "c");
    }

    @Test
    void aRunIsCutAtTheLimit() {
        List<Object[]> events = new ArrayList<>();
        for (int i = 0; i < OutboxRows.MAX_EVENTS * 2 + 1; i++) {
            events.add(ev(A, "e" + i, "{\"i\":" + i + "}"));
        }
        assertThat(OutboxRows.bundle(events)).hasSize(3);
        List<CrmStore.OutboxEvent> back = roundTrip(events);
        assertThat(back).hasSize(events.size());
        for (int i = 0; i < events.size(); i++) {
            assertThat(back.get(i).eventType()).isEqualTo("e" + i);
            assertThat(back.get(i).payload()).isEqualTo("{\"i\":" + i + "}");
        }
        assertThat(back.get(OutboxRows.MAX_EVENTS).key()).isEqualTo("101");
    }

    @Test
    void aRowWhosePayloadDoesNotMatchItsTypesComesOutAsStored() {
        // e.g. a sent row that an erasure blanked: one payload for two types
        assertThat(OutboxRows.expand(7, A, "profile.created,consent.changed", "{\"erased\":true}", T))
                .singleElement().satisfies(e -> {
                    assertThat(e.eventType()).isEqualTo("profile.created,consent.changed");
                    assertThat(e.payload()).isEqualTo("{\"erased\":true}");
                    assertThat(e.key()).isEqualTo("7");
                });
    }
}
