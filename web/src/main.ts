import { start } from './router';

// Pages register their routes when imported (src/pages/*).
import.meta.glob('./pages/*.ts', { eager: true });

start(document.getElementById('app')!);
