export { AppConfig, ConfigError, validateConfig, configDefaults } from './app-config.js';
export { loadConfigFromEnvironment } from './load-config.js';
export { AppConfigModule } from './app-config.module.js';
