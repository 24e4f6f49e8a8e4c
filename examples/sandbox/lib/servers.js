// The long-running programs of the sandbox host, each a real listener on 127.0.0.1:
// gnrdaemon (a line-JSON stand-in for Pyro), the WSGI site under gunicorn, gnrasync, the
// genro-asgi front, the genropy-asgi server (gnrasgiserve), nginx and nats-server.
// They run in the foreground (supervisord and systemd start them detached, with their output
// in log files) and stop cleanly on SIGTERM.
// One file per program in ./servers/; this module gathers them for the stand-ins.

export { runAsyncServer, runIdle } from './servers/gnrasync.js';
export { daemonCall, runGnrDaemon } from './servers/gnrdaemon.js';
export { runNats } from './servers/nats.js';
export { runNginx } from './servers/nginx.js';
export { readPik, writePik } from './servers/registers.js';
export { runSiteServer } from './servers/site.js';
