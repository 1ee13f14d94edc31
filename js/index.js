// The action's entry point (action.yml `main`, bundled to dist/index.js): runs the action and nothing else.
import { run } from './main.js';

await run();
