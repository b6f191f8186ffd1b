export { AppConfig, ConfigError, validateConfig, configDefaults, configFieldNames, configSection, configSections, toBool, toInt, emptyToUndefined } from './app-config.js';
export type { ConfigSection } from './app-config.js';
export { loadConfigFromEnvironment, withGeneratedSecrets } from './load-config.js';
export { AppConfigModule } from './app-config.module.js';
