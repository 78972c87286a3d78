package io.crmhub.routes.security;

import io.crmhub.routes.config.HubProperties;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The API keys from {@code hub.api.keys}. Only SHA-256 hashes of keys are configured and held;
 * a presented key is hashed and looked up. The {@code admin} scope implies every other scope.
 */
public class ApiKeyRegistry {

    public static final List<String> SCOPES = List.of("profiles:read", "profiles:write", "events:write",
            "imports:write", "orders:write", "promotions:read", "audiences:read", "mail:read", "admin");

    /** The holder of a valid key. */
    public record ApiClient(String name, Set<String> scopes) {
        public List<GrantedAuthority> authorities() {
            return scopes.stream().map(s -> (GrantedAuthority) new SimpleGrantedAuthority("SCOPE_" + s)).toList();
        }
    }

    private final Map<String, ApiClient> byHash = new HashMap<>();

    public ApiKeyRegistry(List<HubProperties.ApiKey> keys) {
        for (HubProperties.ApiKey key : keys) {
            if (key.getName() == null || key.getName().isBlank()) {
                throw new IllegalArgumentException("hub.api.keys: every key needs a name");
            }
            String hash = parseHash(key.getName(), key.getKeyHash());
            Set<String> scopes = new LinkedHashSet<>();
            for (String scope : key.getScopes()) {
                String s = scope.trim().toLowerCase(Locale.ROOT);
                if (!SCOPES.contains(s)) {
                    throw new IllegalArgumentException("hub.api.keys '" + key.getName() + "': unknown scope '" + scope
                            + "' (known: " + SCOPES + ")");
                }
                scopes.add(s);
            }
            if (scopes.contains("admin")) {
                scopes.addAll(SCOPES);
            }
            if (byHash.put(hash, new ApiClient(key.getName(), Set.copyOf(scopes))) != null) {
                throw new IllegalArgumentException("hub.api.keys: two keys have the same hash ('" + key.getName() + "')");
            }
        }
    }

    private static String parseHash(String name, String configured) {
        if (configured == null || !configured.startsWith("sha256:")) {
            throw new IllegalArgumentException("hub.api.keys '" + name
                    + "': key-hash must be 'sha256:' + hex SHA-256 of the key (printf %s KEY | sha256sum)");
        }
        String hex = configured.substring("sha256:".length()).trim().toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("hub.api.keys '" + name + "': key-hash is not 64 hex digits");
        }
        return hex;
    }

    public Optional<ApiClient> authenticate(String presentedKey) {
        if (presentedKey == null || presentedKey.isBlank()) {
            return Optional.empty();
        }
        return Optional.ofNullable(byHash.get(sha256Hex(presentedKey.trim())));
    }

    public int size() {
        return byHash.size();
    }

    public static String sha256Hex(String value) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
