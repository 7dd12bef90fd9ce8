<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\DAV;

// /remote.php/dav/calendars/: only the requesting user's home is reachable (another user's home is 404, as
// for files/), and homes list Nextcloud-style shared calendars (UserCalendars).
final class CalendarRoot extends CalDAV\CalendarRootNode
{
    public ?string $viewer = null;

    public function getChild($name)
    {
        if ($this->viewer !== null && $name !== $this->viewer) {
            throw new DAV\Exception\NotFound('Node with name \'' . $name . '\' could not be found');
        }
        return parent::getChild($name);
    }

    public function getChildren()
    {
        return $this->viewer === null ? parent::getChildren() : [$this->getChild($this->viewer)];
    }

    public function getChildForPrincipal(array $principal)
    {
        return new UserCalendars($this->caldavBackend, $principal);
    }
}
