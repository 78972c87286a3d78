package io.crmhub.routes.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.routes.api.Problem;
import io.crmhub.routes.config.HubProperties;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.csrf.CsrfTokenRequestHandler;
import org.springframework.security.web.csrf.XorCsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.HeaderWriterFilter;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.util.StringUtils;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.function.Supplier;

import static io.crmhub.routes.security.ApiAccessRules.paths;
import static org.springframework.security.config.Customizer.withDefaults;

/**
 * Three doors:
 * <ul>
 *   <li>{@code /api/**}: API key in {@code X-API-Key}, scope per path; problem+json 401/403/413.</li>
 *   <li>health, info and Prometheus metrics: open.</li>
 *   <li>everything else, Hawtio ({@code /actuator/hawtio}) and Jolokia included: admin login.</li>
 * </ul>
 */
@Configuration
@EnableWebSecurity
public class SecurityConfig {

    private static final Logger LOG = LoggerFactory.getLogger(SecurityConfig.class);
    /** The development key published in config/application.yml and the README. */
    static final String DEV_KEY = "dev-key-change-me";

    /**
     * No observation per security filter: with it, every request opened and closed an observation
     * (and looked up its meters) around each of the chain's filters — a visible share of a small
     * request's CPU in a profile of the clickstream intake. Requests are still observed as a whole
     * ({@code http.server.requests}); authentication failures are logged.
     */
    @Bean
    org.springframework.security.config.observation.SecurityObservationSettings securityObservationSettings() {
        return org.springframework.security.config.observation.SecurityObservationSettings.noObservations();
    }

    @Bean
    ApiKeyRegistry apiKeyRegistry(HubProperties props, Environment env) {
        ApiKeyRegistry registry = new ApiKeyRegistry(props.getApi().getKeys());
        if (env.acceptsProfiles(Profiles.of("prod")) && registry.authenticate(DEV_KEY).isPresent()) {
            throw new IllegalStateException("The prod profile refuses the published development API key: "
                    + "configure your own keys (HUB_API_KEYS_n_NAME / _KEYHASH / _SCOPES).");
        }
        if (registry.size() == 0) {
            LOG.warn("No API keys configured (hub.api.keys): every /api request will be refused with 401.");
        }
        return registry;
    }

    @Bean
    @Order(1)
    SecurityFilterChain apiChain(HttpSecurity http, ApiKeyRegistry keys, HubProperties props, ObjectMapper mapper,
                                 ObjectProvider<ApiAccessRules> flowRules) throws Exception {
        ProblemWriter problems = new ProblemWriter(mapper);
        http.securityMatcher(new OrRequestMatcher(paths("/api/**")))
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                // the security headers are set before the request runs, not once it returns: an asynchronous
                // request (POST /api/v1/events) is answered on another thread while this one unwinds
                .headers(h -> h.addObjectPostProcessor(new ObjectPostProcessor<HeaderWriterFilter>() {
                    @Override
                    public <O extends HeaderWriterFilter> O postProcess(O filter) {
                        filter.setShouldWriteHeadersEagerly(true);
                        return filter;
                    }
                }))
                .addFilterBefore(new BodySizeLimitFilter(props.getApi().getMaxBodyBytes(), problems),
                        SecurityContextHolderFilter.class)
                .addFilterBefore(new ApiKeyAuthenticationFilter(keys, problems), AnonymousAuthenticationFilter.class)
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((req, res, ex) -> problems.write(req, res, Problem.of(401,
                                "Unauthorized", "An API key is required in header " + ApiKeyAuthenticationFilter.HEADER + ".")))
                        .accessDeniedHandler((req, res, ex) -> problems.write(req, res, Problem.of(403,
                                "Forbidden", "The API key lacks the scope this request needs."))))
                .authorizeHttpRequests(a -> ApiScopes.apply(a, flowRules.orderedStream().toList()));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain openActuatorChain(HttpSecurity http) throws Exception {
        http.securityMatcher(new OrRequestMatcher(paths("/actuator/health", "/actuator/health/**", "/actuator/info",
                        "/actuator/prometheus", "/error")))
                .csrf(c -> c.disable())
                .authorizeHttpRequests(a -> a.anyRequest().permitAll());
        return http.build();
    }

    /** Hawtio, Jolokia and the rest of the actuator: admin login (form or basic), CSRF cookie for the SPA. */
    @Bean
    @Order(3)
    SecurityFilterChain adminChain(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(a -> a.dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                        .anyRequest().hasRole("ADMIN"))
                .formLogin(withDefaults())
                .httpBasic(withDefaults())
                .csrf(c -> c.csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                        .csrfTokenRequestHandler(new SpaCsrfTokenRequestHandler()))
                .addFilterAfter(new CsrfCookieFilter(), BasicAuthenticationFilter.class);
        return http.build();
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    @Bean
    UserDetailsService adminUsers(HubProperties props, Environment env) {
        String user = props.getAdmin().getUsername();
        String password = props.getAdmin().getPassword();
        boolean prod = env.acceptsProfiles(Profiles.of("prod"));
        if (!StringUtils.hasText(user) || !StringUtils.hasText(password)) {
            if (prod) {
                throw new IllegalStateException("The prod profile needs admin credentials for Hawtio: set "
                        + "HUB_ADMIN_USERNAME and HUB_ADMIN_PASSWORD (hub.admin.username / hub.admin.password).");
            }
            LOG.warn("No admin credentials (hub.admin.username/password): Hawtio and admin endpoints are closed.");
            return new InMemoryUserDetailsManager();
        }
        if (prod && ("admin".equals(password) || password.length() < 12) && !password.startsWith("{")) {
            throw new IllegalStateException("The prod profile refuses a weak admin password: use at least 12 "
                    + "characters or a {bcrypt} hash in HUB_ADMIN_PASSWORD.");
        }
        String encoded = password.startsWith("{") ? password : "{noop}" + password;
        return new InMemoryUserDetailsManager(User.withUsername(user).password(encoded).roles("ADMIN").build());
    }

    /** Hawtio reads the CSRF token from a cookie and sends it back in a header (SPA pattern). */
    static final class SpaCsrfTokenRequestHandler extends CsrfTokenRequestAttributeHandler {
        private final CsrfTokenRequestHandler delegate = new XorCsrfTokenRequestAttributeHandler();

        @Override
        public void handle(HttpServletRequest request, HttpServletResponse response, Supplier<CsrfToken> csrfToken) {
            delegate.handle(request, response, csrfToken);
        }

        @Override
        public String resolveCsrfTokenValue(HttpServletRequest request, CsrfToken csrfToken) {
            if (StringUtils.hasText(request.getHeader(csrfToken.getHeaderName()))) {
                return super.resolveCsrfTokenValue(request, csrfToken);
            }
            return delegate.resolveCsrfTokenValue(request, csrfToken);
        }
    }

    /** Renders the deferred CSRF token into its cookie on every admin response. */
    static final class CsrfCookieFilter extends OncePerRequestFilter {
        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            CsrfToken token = (CsrfToken) request.getAttribute("_csrf");
            if (token != null) {
                token.getToken();
            }
            chain.doFilter(request, response);
        }
    }

    /** Which scope each API path needs: the profile API here, each channel flow through its {@link ApiAccessRules}. */
    static final class ApiScopes {
        static void apply(org.springframework.security.config.annotation.web.configurers.AuthorizeHttpRequestsConfigurer<HttpSecurity>.AuthorizationManagerRequestMatcherRegistry a,
                          java.util.List<ApiAccessRules> flows) {
            // Camel's platform-http answers on an async dispatch of the already-authorised request
            a.dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                    .requestMatchers(paths(HttpMethod.DELETE, "/api/v1/profiles/*")).hasAuthority("SCOPE_admin")
                    .requestMatchers(paths(HttpMethod.POST, "/api/v1/profiles/*/unmerge")).hasAuthority("SCOPE_admin")
                    .requestMatchers(paths("/api/v1/quarantine", "/api/v1/quarantine/**")).hasAuthority("SCOPE_admin")
                    .requestMatchers(paths(HttpMethod.GET, "/api/v1/profiles", "/api/v1/profiles/**")).hasAuthority("SCOPE_profiles:read")
                    .requestMatchers(paths("/api/v1/profiles", "/api/v1/profiles/**")).hasAuthority("SCOPE_profiles:write");
            flows.forEach(rules -> rules.apply(a));
            a.anyRequest().authenticated();
        }
    }
}
