//! The article behind "Try an example": written for Passerelle, as a news site would show it
//! once pasted (a section name, a photo credit), so the cleaning has something to do.

pub const EXAMPLE_ARTICLE: &str = "Accueil > Régions

La ville de Grenoble inaugure son premier tramway à hydrogène

Une rame du nouveau tramway à la gare de Grenoble, le 2 juin 2025. Photo LUC BERNARD / AFP

Après trois ans de travaux, la métropole de Grenoble a mis en service lundi la première ligne de tramway à hydrogène de France. Les douze rames, construites à Valenciennes, relient la gare au campus universitaire en vingt-cinq minutes.

Le projet a coûté 184 millions d'euros, dont 40 % financés par l'État et la région Auvergne-Rhône-Alpes. Selon la présidente de la métropole, Mme Claire Duval, la nouvelle ligne doit transporter 45 000 voyageurs par jour d'ici 2027.

« C'est une étape importante pour la qualité de l'air dans la vallée », a déclaré M. Julien Morel, adjoint chargé des transports, lors de la cérémonie. Il a rappelé que la cuvette grenobloise connaît chaque hiver des épisodes de pollution aux particules fines.

Tout le monde n'est pas convaincu. Une association d'usagers juge le tarif trop élevé : le ticket passe de 1,70 euro à 2 euros.
";
