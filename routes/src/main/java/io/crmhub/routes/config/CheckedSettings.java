package io.crmhub.routes.config;

import org.springframework.beans.factory.InitializingBean;

/** Settings checked as they are bound ({@code @ConfigurationProperties} beans): every problem at once, naming its property. */
public interface CheckedSettings extends InitializingBean {

    /** What is checked. */
    SettingChecks checks();

    @Override
    default void afterPropertiesSet() {
        checks().verify();
    }
}
