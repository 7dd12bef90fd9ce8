<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;
use Sabre\DAV;
use Sabre\DAVACL;
use Sabre\VObject;

// sabre 1.8's CardDAV plugin with Nextcloud's behaviour: addressbook-home-set under addressbooks/users/, GET and
// address-data converted to vCard 3.0 unless 4.0 is asked for, 415 for addressbook-query at Depth 0, and
// Nextcloud's validation messages. A repaired body (UID added) is stored but its ETag is not returned.
final class CardDavPlugin extends CardDAV\Plugin
{
    /** Whether this request's body was changed by validation (one request per PHP process run). */
    public static bool $repaired = false;
    private string $addressDataVersion = '3.0';

    public function initialize(DAV\Server $server)
    {
        parent::initialize($server);
        $server->subscribeEvent('beforeMethod', [$this, 'beforeMethod']);
    }

    public function beforeGetProperties($path, DAV\INode $node, array &$requestedProperties, array &$returnedProperties)
    {
        $home = '{' . self::NS_CARDDAV . '}addressbook-home-set';
        if ($node instanceof DAVACL\IPrincipal && in_array($home, $requestedProperties, true)) {
            unset($requestedProperties[array_search($home, $requestedProperties, true)]);
            $returnedProperties[200][$home] = new DAV\Property\Href(self::ADDRESSBOOK_ROOT . '/users/' . $node->getName() . '/');
        }
        $addressData = '{' . self::NS_CARDDAV . '}address-data';
        if ($node instanceof CardDAV\ICard && in_array($addressData, $requestedProperties, true)) {
            unset($requestedProperties[array_search($addressData, $requestedProperties, true)]);
            $returnedProperties[200][$addressData] = CardVersion::convert(self::body($node), $this->addressDataVersion);
        }
        parent::beforeGetProperties($path, $node, $requestedProperties, $returnedProperties);
    }

    public function beforeMethod($method, $uri)
    {
        if ($method !== 'GET' || !str_starts_with($uri, self::ADDRESSBOOK_ROOT . '/')) return true;
        try {
            $node = $this->server->tree->getNodeForPath($uri);
        } catch (DAV\Exception) {
            // sabre's own GET handling answers with the same error.
            return true;
        }
        if (!$node instanceof CardDAV\ICard) return true;
        $body = CardVersion::convert(self::body($node), CardVersion::wanted($this->server->httpRequest->getHeader('Accept')));
        $response = $this->server->httpResponse;
        $response->setHeader('Content-Type', 'text/vcard; charset=utf-8');
        $response->setHeader('Content-Length', (string) strlen($body));
        $response->setHeader('ETag', (string) $node->getETag());
        $response->sendStatus(200);
        $response->sendBody($body);
        return false;
    }

    public function report($reportName, $dom)
    {
        $isCardReport = $reportName === '{' . self::NS_CARDDAV . '}addressbook-query' || $reportName === '{' . self::NS_CARDDAV . '}addressbook-multiget';
        if (!$isCardReport) return true;
        $elements = $dom->getElementsByTagNameNS(self::NS_CARDDAV, 'address-data');
        $this->addressDataVersion = CardVersion::wanted($elements->length > 0 ? $elements->item(0)->getAttribute('version') : null);
        if ($reportName === '{' . self::NS_CARDDAV . '}addressbook-query' && $this->server->getHTTPDepth(0) === 0) {
            throw new CardReportNotSupported();
        }
        return parent::report($reportName, $dom);
    }

    protected function validateVCard(&$data)
    {
        if (is_resource($data)) $data = stream_get_contents($data);
        $data = DAV\StringUtil::ensureUTF8($data);
        try {
            $card = VObject\Reader::read($data);
        } catch (VObject\ParseException $e) {
            throw new DAV\Exception\UnsupportedMediaType('This resource only supports valid vCard or jCard data. Parse error: ' . $e->getMessage());
        }
        if ($card->name !== 'VCARD') {
            throw new DAV\Exception\UnsupportedMediaType('This collection can only support vcard objects.');
        }
        if (!isset($card->UID)) {
            $card->add('UID', DAV\UUIDUtil::getUUID());
            $data = $card->serialize();
            self::$repaired = true;
            $this->server->httpResponse->setHeader('X-Sabre-Ew-Gross', 'vCard validation warning: Adding a UID to a vCard property is recommended.');
        }
    }

    private static function body(CardDAV\ICard $node): string
    {
        $data = $node->get();
        return is_resource($data) ? (string) stream_get_contents($data) : (string) $data;
    }
}
