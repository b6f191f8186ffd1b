import { Campus1764500000500 } from './1764500000500-campus.js';

export const campusMigrations = [Campus1764500000500];
