package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.ecommerce.EcommerceStore;
import io.crmhub.mappings.ecommerce.CurrencyRates;
import io.crmhub.mappings.ecommerce.OrderMetrics;
import io.crmhub.mappings.ecommerce.Promotions;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.errors.TransientFaults;
import io.crmhub.routes.kafka.KafkaTopics;
import io.crmhub.routes.profiles.ProfileService;
import io.crmhub.routes.security.ApiAccessRules;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpMethod;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.crmhub.routes.security.ApiAccessRules.paths;

/** Wires the e-commerce flow from {@code hub.ecommerce.*}. */
@Configuration
public class EcommerceConfig {

    @Bean
    Clock ecommerceClock() {
        return Clock.systemUTC();
    }

    @Bean
    @DependsOnDatabaseInitialization
    EcommerceStore ecommerceStore(DataSource dataSource, ObjectMapper mapper) {
        return new EcommerceStore(dataSource, mapper);
    }

    @Bean
    CurrencyRates ecommerceCurrencyRates(EcommerceProperties props) {
        return new CurrencyRates(props.getBaseCurrency(), props.getCurrencyRates());
    }

    @Bean
    OrderMetrics ecommerceOrderMetrics(EcommerceProperties props) {
        EcommerceProperties.Rfm r = props.getRfm();
        return new OrderMetrics(new OrderMetrics.RfmSettings(
                r.getRecencyDays().stream().mapToInt(Integer::intValue).toArray(),
                r.getFrequency().stream().mapToInt(Integer::intValue).toArray(),
                r.getMonetary().toArray(new BigDecimal[0]), r.getFavouriteCategories()), props.getBaseCurrency());
    }

    @Bean
    Promotions ecommercePromotions(EcommerceProperties props, ResourceLoader loader) {
        return PromotionCatalog.load(loader, props.getPromotionsFile());
    }

    /** The flow's topics exist before its consumers start. */
    @Bean(destroyMethod = "close")
    EcommerceKafka ecommerceKafka(HubProperties hub, EcommerceProperties props, KafkaTopics topics) {
        topics.ensure(List.of(props.getPromotionsTopic()));
        if (hub.getKafka().isCreateTopics()) {
            EcommerceKafka.ensurePartitions(hub.getKafka().getBootstrapServers(), props.getOrdersTopic(),
                    Math.max(props.getConsumers(), hub.getKafka().getTopicPartitions()), (short) hub.getKafka().getTopicReplication());
        }
        return new EcommerceKafka(hub.getKafka().getBootstrapServers());
    }

    @Bean
    PromotionService ecommercePromotionService(CrmStore crm, EcommerceStore store, Promotions promotions, ObjectMapper mapper,
                                               EcommerceKafka kafka, EcommerceProperties props, Clock ecommerceClock) {
        return new PromotionService(crm, store, promotions, mapper, kafka, props.getPromotionsTopic(), ecommerceClock);
    }

    @Bean
    EcommerceService ecommerceService(ProfileService profiles, EcommerceStore store, CurrencyRates rates, OrderMetrics metrics,
                                      PromotionService promotions, ObjectMapper mapper, EcommerceProperties props,
                                      Clock ecommerceClock) {
        return new EcommerceService(profiles, store, rates, metrics, promotions, mapper, props.getDefaultShop(), ecommerceClock);
    }

    @Bean
    ProfileChangeListener ecommerceProfileChangeListener(EcommerceService service, PromotionService promotions, ObjectMapper mapper) {
        return new ProfileChangeListener(service, promotions, mapper);
    }

    /** GET /api/v1/profiles/{id}/promotions, after Spring Security (order -100), before the DispatcherServlet. */
    @Bean
    org.springframework.boot.web.servlet.FilterRegistrationBean<ProfilePromotionsFilter> ecommerceProfilePromotionsFilter(
            EcommerceApiController api, ObjectMapper mapper) {
        var reg = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(new ProfilePromotionsFilter(api, mapper));
        reg.addUrlPatterns("/api/v1/profiles/*");
        reg.setOrder(0);
        reg.setName("ecommerceProfilePromotions");
        return reg;
    }

    /** Scopes of the flow's paths; the Shopify webhook carries its own proof (HMAC) instead of an API key. */
    @Bean
    ApiAccessRules ecommerceAccessRules() {
        return rules -> rules
                .requestMatchers(paths(HttpMethod.POST, ShopifyWebhookController.PATH)).permitAll()
                .requestMatchers(paths(HttpMethod.POST, "/api/v1/ecommerce/orders")).hasAuthority("SCOPE_orders:write")
                .requestMatchers(paths(HttpMethod.GET, "/api/v1/promotions")).hasAuthority("SCOPE_promotions:read");
        // GET /api/v1/profiles/{id}/promotions falls under the profile API's rule (profiles:read)
    }

    /**
     * Erasure covers the shop's data too: the CRM store's {@code erase} is wrapped so that, in the
     * same transaction, the erased person's orders, refunds and promotion state are deleted and
     * counted in the erasure report.
     */
    @Bean
    static BeanPostProcessor ecommerceErasure(ObjectProvider<EcommerceStore> ecommerceStore) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
                if (!(bean instanceof CrmStore crm) || !"crmStore".equals(beanName)) {
                    return bean;
                }
                return Proxy.newProxyInstance(CrmStore.class.getClassLoader(), new Class<?>[]{CrmStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("erase") && args != null && args.length == 2) {
                        return erase(crm, ecommerceStore.getObject(), (UUID) args[0], (String) args[1]);
                    }
                    try {
                        return method.invoke(crm, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
            }
        };
    }

    static CrmStore.ErasureReport erase(CrmStore crm, EcommerceStore store, UUID profileId, String requestedBy) {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.inTransaction(() -> {
                    CrmStore.ErasureReport report = crm.erase(profileId, requestedBy);
                    if (report.removed().isEmpty()) {
                        return report; // erased before
                    }
                    Map<String, Integer> removed = new LinkedHashMap<>(report.removed());
                    removed.putAll(store.erase(store.erasedFamily(report.profileId())));
                    return new CrmStore.ErasureReport(report.profileId(), Map.copyOf(removed), report.tombstoneHashes(),
                            report.erasedAt());
                });
            } catch (RuntimeException e) {
                if (attempt >= 5 || !(e instanceof DuplicateKeyException || TransientFaults.isTransient(e))) {
                    throw e;
                }
            }
        }
    }
}
