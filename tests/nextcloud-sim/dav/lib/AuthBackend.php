<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// The Node side already authenticated the request (Basic, Bearer, session or AppAPI) and names the user in
// X-Sim-User; router.php checked the shared token. Sabre's auth plugin only needs to know who it is.
final class AuthBackend implements DAV\Auth\Backend\BackendInterface
{
    public function __construct(private string $uid)
    {
    }

    public function authenticate(DAV\Server $server, $realm)
    {
        return true;
    }

    public function getCurrentUser()
    {
        return $this->uid;
    }
}
