<?php
// Loads Debian's SabreDAV 1.8 from PHP's include path and this simulator's own classes (namespace SimDav,
// one class per file in lib/). Shared by router.php and seed.php.
declare(strict_types=1);

// Debian's php-sabre-dav lives on the default include path, and its autoloader loads VObject through it too;
// a php.ini with another include_path gets Debian's directory appended.
if (stream_resolve_include_path('Sabre/autoload.php') === false) {
    set_include_path(get_include_path() . PATH_SEPARATOR . '/usr/share/php');
}
require_once 'Sabre/autoload.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'SimDav\\')) {
        $file = __DIR__ . '/' . substr($class, 7) . '.php';
        if (is_file($file)) require_once $file;
    }
});
// Nextcloud's own Forbidden exception: its class name is part of the error body clients see (contract 1.12).
require_once __DIR__ . '/NcForbidden.php';
