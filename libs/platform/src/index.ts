export { migrations } from './schema.js';
