// Runs the simulator alone: `npm run sim -- --port 8080`. Useful for trying lib/ against it by hand.
import { startSimulator } from './index.js';

const portFlag = process.argv.indexOf('--port');
const port = portFlag === -1 ? 8080 : Number(process.argv[portFlag + 1]);
const simulator = await startSimulator({ port, logLevel: process.env.LOG_LEVEL });
process.stdout.write(`Nextcloud simulator listening on ${simulator.url} (users admin, alice, bob, carol; password = user name)\n`);
const stop = async () => {
  await simulator.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
