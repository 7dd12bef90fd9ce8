<?php
declare(strict_types=1);

// Same class name as Nextcloud's (server:apps/dav/lib/Connector/Sabre/Exception/Forbidden.php), because the
// error body names the exception class; it adds o:retry and o:reason like the real one.
namespace OCA\DAV\Connector\Sabre\Exception;

class Forbidden extends \Sabre\DAV\Exception\Forbidden
{
    public const NS_OWNCLOUD = 'http://owncloud.org/ns';

    public function __construct(string $message, private bool $retry = false)
    {
        parent::__construct($message);
    }

    public function serialize(\Sabre\DAV\Server $server, \DOMElement $errorNode)
    {
        $errorNode->setAttribute('xmlns:o', self::NS_OWNCLOUD);
        $doc = $errorNode->ownerDocument;
        $errorNode->appendChild($doc->createElementNS(self::NS_OWNCLOUD, 'o:retry', $this->retry ? 'true' : 'false'));
        $reason = $doc->createElementNS(self::NS_OWNCLOUD, 'o:reason');
        $reason->appendChild($doc->createTextNode($this->getMessage()));
        $errorNode->appendChild($reason);
    }
}
