package io.crmhub.routes.flows;

import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** What an operator sees: health, metrics, Hawtio behind the admin login, routes with statistics over Jolokia. */
@HubIntegrationTest
class OperationsIT {

    @LocalServerPort
    int port;

    @org.springframework.beans.factory.annotation.Autowired
    org.springframework.context.ApplicationContext context;

    @Test
    void healthShowsCamelDatabaseKafkaAndTheClickstreamConsumer() {
        var health = new ApiClient(port, null).get("/actuator/health");
        assertThat(health.status()).as(health.body()).isEqualTo(200);
        assertThat(health.json().at("/components/db/status").asText()).isEqualTo("UP");
        assertThat(health.json().at("/components/kafka/status").asText()).isEqualTo("UP");
        assertThat(health.json().at("/components/camelHealth/status").asText()).isEqualTo("UP");
        assertThat(health.json().at("/components/kafka/details/brokers").asInt()).isEqualTo(1);
        assertThat(health.json().at("/components/clickstreamConsumer/status").asText()).isEqualTo("UP");
        assertThat(health.json().at("/components/clickstreamConsumer/details/aliveWorkers").asInt()).isEqualTo(1);
    }

    /** Controllers are looked up before Camel's REST routes (HubBeans); both still answer their own paths. */
    @Test
    void springMvcControllersAreLookedUpBeforeCamelRoutesAndBothAnswer() {
        var mappings = context.getBeansOfType(org.springframework.web.servlet.handler.AbstractHandlerMapping.class).values();
        int mvc = mappings.stream().filter(m -> m.getClass() == org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping.class)
                .mapToInt(org.springframework.web.servlet.handler.AbstractHandlerMapping::getOrder).findFirst().orElseThrow();
        int camel = mappings.stream().filter(m -> m.getClass().getName().endsWith("CamelRequestHandlerMapping"))
                .mapToInt(org.springframework.web.servlet.handler.AbstractHandlerMapping::getOrder).findFirst().orElseThrow();
        assertThat(mvc).as("Spring MVC's order before Camel's (%d)", camel).isLessThan(camel);
        ApiClient api = new ApiClient(port, ApiClient.DEV_KEY);
        var camelRoute = api.get("/api/v1/profiles/" + java.util.UUID.randomUUID());
        assertThat(camelRoute.status()).as(camelRoute.body()).isEqualTo(404);
        assertThat(camelRoute.json().at("/title").asText()).as(camelRoute.body()).isNotEmpty();
        var controller = api.get("/api/v1/lists/imports");
        assertThat(controller.status()).as(controller.body()).isEqualTo(200);
        assertThat(api.get("/api/v1/no-such-thing").status()).isEqualTo(404);
    }

    @Test
    void prometheusMetricsIncludeRouteStatistics() {
        var metrics = new ApiClient(port, null).get("/actuator/prometheus");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("camel_exchanges");
    }

    @Test
    void hawtioNeedsTheAdminLogin() {
        ApiClient anonymous = new ApiClient(port, null);
        var closed = anonymous.send(anonymous.builder("/actuator/hawtio/").GET());
        assertThat(closed.status()).isIn(302, 401);
        assertThat(closed.body()).doesNotContain("Hawtio Management Console");

        String basic = "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.UTF_8));
        var open = anonymous.send(anonymous.builder("/actuator/hawtio/").header("Authorization", basic).GET());
        assertThat(open.status()).as(open.body() + " " + open.contentType()).isEqualTo(200);
        assertThat(open.body()).contains("Hawtio Management Console");

        var routes = anonymous.send(anonymous.builder(
                "/actuator/jolokia/search/org.apache.camel:type=routes,*").header("Authorization", basic).GET());
        assertThat(routes.status()).isEqualTo(200);
        assertThat(routes.body()).contains("outbox-relay").contains("profile-intake");

        var wrong = anonymous.send(anonymous.builder("/actuator/hawtio/").header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString("admin:nope".getBytes(StandardCharsets.UTF_8))).GET());
        assertThat(wrong.status()).isEqualTo(401);
    }

    @Test
    void theClickstreamConsumerIsPausedAndResumedOverJmx() {
        ApiClient api = new ApiClient(port, null);
        String basic = "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.UTF_8));
        String mbean = "io.crmhub:type=clickstream,name=consumer";
        var anonymous = api.send(api.builder("/actuator/jolokia/exec/" + mbean + "/pause").GET());
        assertThat(anonymous.status()).isIn(302, 401);
        try {
            var paused = api.send(api.builder("/actuator/jolokia/exec/" + mbean + "/pause").header("Authorization", basic).GET());
            assertThat(paused.status()).as(paused.body()).isEqualTo(200);
            assertThat(paused.json().at("/status").asInt()).as(paused.body()).isEqualTo(200);
            var running = api.send(api.builder("/actuator/jolokia/read/" + mbean + "/Running").header("Authorization", basic).GET());
            assertThat(running.json().at("/value").asBoolean()).as(running.body()).isFalse();
            assertThat(api.get("/actuator/health").json().at("/components/clickstreamConsumer/status").asText())
                    .isEqualTo("UNKNOWN");
        } finally {
            var resumed = api.send(api.builder("/actuator/jolokia/exec/" + mbean + "/resume").header("Authorization", basic).GET());
            assertThat(resumed.json().at("/status").asInt()).as(resumed.body()).isEqualTo(200);
        }
        var running = api.send(api.builder("/actuator/jolokia/read/" + mbean + "/Running").header("Authorization", basic).GET());
        assertThat(running.json().at("/value").asBoolean()).isTrue();
        var health = api.get("/actuator/health").json().at("/components/clickstreamConsumer");
        assertThat(health.at("/status").asText()).isEqualTo("UP");
        assertThat(health.at("/details/aliveWorkers").asInt()).isEqualTo(1);
    }
}
