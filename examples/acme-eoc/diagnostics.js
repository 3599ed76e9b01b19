// Imported first by server.js, before express and express-openid-connect load the `debug` module.
//
// DEFECT debug-logging: "keep the library's debug output on, it helps support". With
// DEBUG=express-openid-connect:* the library prints its whole resolved configuration at start-up
// (client secret and session secret included) and every SuperID redirect it makes.

const defects = (process.env.DEFECTS ?? '').split(',').map((name) => name.trim());
if (defects.includes('debug-logging')) {
  process.env.DEBUG = [process.env.DEBUG, 'express-openid-connect:*'].filter(Boolean).join(',');
}
