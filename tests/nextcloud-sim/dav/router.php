<?php
// Entry point for `php -S 127.0.0.1:<port> router.php`: the simulator's WebDAV/CalDAV backend.
// Node authenticates users and forwards /remote.php/dav/* with X-Sim-User and the shared X-Sim-Token
// (env SIM_TOKEN); data lives in env SIM_DATA_DIR. /_sim/* are internal JSON endpoints for the Node side.
declare(strict_types=1);

// Sabre 1.8 on PHP 8.2 raises deprecations on every request; printed, they would corrupt the XML bodies.
ini_set('display_errors', '0');

require __DIR__ . '/lib/bootstrap.php';

use SimDav\ServerFactory;
use SimDav\SimSearch;
use SimDav\Users;

// Not parse_url(): it rejects paths like /files/alice/10:20 and reads a leading // as a host name.
$path = explode('?', (string) ($_SERVER['REQUEST_URI'] ?? '/'), 2)[0];

function sim_json(int $status, mixed $body): void
{
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

function sim_not_authenticated(string $message): void
{
    http_response_code(401);
    header('Content-Type: application/xml; charset=utf-8');
    header('WWW-Authenticate: Basic realm="Nextcloud", charset="UTF-8"');
    echo "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n"
        . "  <s:exception>Sabre\\DAV\\Exception\\NotAuthenticated</s:exception>\n  <s:message>" . htmlspecialchars($message, ENT_XML1) . "</s:message>\n</d:error>\n";
}

if ($path === '/_sim/health') {
    sim_json(200, ['ok' => true]);
    return true;
}

$dataDir = (string) getenv('SIM_DATA_DIR');
$token = (string) getenv('SIM_TOKEN');
$given = (string) ($_SERVER['HTTP_X_SIM_TOKEN'] ?? '');
$uid = (string) ($_SERVER['HTTP_X_SIM_USER'] ?? '');
if ($token === '' || !hash_equals($token, $given) || !Users::exists($uid)) {
    sim_not_authenticated('No public access to this resource.');
    return true;
}
if ($dataDir === '' || !is_file($dataDir . '/sim.sqlite')) {
    sim_json(503, ['error' => 'SIM_DATA_DIR is not seeded']);
    return true;
}

if (str_starts_with($path, '/_sim/search/')) {
    $publicUrl = rtrim((string) ($_SERVER['HTTP_X_SIM_PUBLIC_URL'] ?? ''), '/');
    $search = new SimSearch($dataDir, $uid, $publicUrl);
    $kind = substr($path, strlen('/_sim/search/'));
    $term = (string) ($_GET['term'] ?? '');
    $limit = max(1, (int) ($_GET['limit'] ?? 5));
    $cursor = max(0, (int) ($_GET['cursor'] ?? 0));
    match ($kind) {
        'files' => sim_json(200, $search->files($term, $limit, $cursor)),
        'calendar' => sim_json(200, $search->calendar($term, $limit, $cursor)),
        default => sim_json(404, ['error' => 'unknown search provider']),
    };
    return true;
}

if ($path === '/remote.php/dav' || str_starts_with($path, '/remote.php/dav/')) {
    // sabre 1.8 takes REQUEST_URI verbatim as the node path; the query string (GET ?download=… and the like)
    // is no part of it.
    $_SERVER['REQUEST_URI'] = $path;
    ServerFactory::create($dataDir, $uid)->exec();
    return true;
}

http_response_code(404);
header('Content-Type: text/plain');
echo "Not found\n";
return true;
