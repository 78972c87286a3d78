package io.crmhub.routes;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** crm-hub: the integration hub between the CRM core and the systems around it. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CrmHubApplication {

    public static void main(String[] args) {
        SpringApplication.run(CrmHubApplication.class, args);
    }
}
