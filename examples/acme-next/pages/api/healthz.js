export default function healthz(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.status(200).send('ok');
}
