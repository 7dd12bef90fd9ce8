<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// sabre 4's ReportNotSupported is a 415 (1.8's is a 403), with the same <d:supported-report/> element.
final class CardReportNotSupported extends DAV\Exception\UnsupportedMediaType
{
    public function serialize(DAV\Server $server, \DOMElement $errorNode)
    {
        $errorNode->appendChild($errorNode->ownerDocument->createElementNS('DAV:', 'd:supported-report'));
    }
}
