"""What the customers app tells the apps built on it, without importing them (flows builds on
customers, never the reverse; ``make lint`` checks it).

* ``package_features_in_use``: sent when a merchant's package is about to change; each receiver
  returns the features (``tiers.Feature``) its configuration for that merchant uses, so a package
  cannot be lowered below them.
* ``package_changed``: sent after a merchant's package changed; schedules follow it.
"""

from django.dispatch import Signal

package_features_in_use = Signal()  # kwargs: customer
package_changed = Signal()  # kwargs: customer
