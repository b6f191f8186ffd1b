export { AppConfig, ConfigError, validateConfig, configDefaults, GENERATED_SECRETS } from './app-config.js';
export { loadConfigFromEnvironment, withGeneratedSecrets } from './load-config.js';
export { AppConfigModule } from './app-config.module.js';
