import { Transit1764600000600 } from './1764600000600-transit.js';

export const transitMigrations = [Transit1764600000600];
