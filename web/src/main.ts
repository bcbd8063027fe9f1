import { start } from './router';
import { startNav } from './ui/nav';

// Pages register their routes when imported (src/pages/*).
import.meta.glob('./pages/*.ts', { eager: true });

startNav();
start(document.getElementById('app')!);
